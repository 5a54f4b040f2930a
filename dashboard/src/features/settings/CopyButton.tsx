// Copies a value to the clipboard and says so.
import { useToast } from "@/components/toasts";

export function CopyButton({ value, label }: { value: string; label: string }) {
  const toast = useToast();
  return (
    <button
      type="button"
      className="btn-secondary"
      aria-label={label}
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(value);
          toast.show("Copied to the clipboard.", "success");
        } catch {
          toast.show("The clipboard is not available here: select the text and copy it.", "error");
        }
      }}
    >
      Copy
    </button>
  );
}
