import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { ConfirmDialog } from "./ConfirmDialog";

function renderDialog() {
  const onConfirm = vi.fn();
  const onCancel = vi.fn();
  render(
    <ConfirmDialog open title="Close AAPL?" confirmLabel="Close position" onConfirm={onConfirm} onCancel={onCancel}>
      Sells everything.
    </ConfirmDialog>,
  );
  return { onConfirm, onCancel };
}

describe("ConfirmDialog", () => {
  it("test_confirm_dialog_when_opened_focuses_cancel_so_enter_is_safe", async () => {
    const { onConfirm, onCancel } = renderDialog();

    expect(screen.getByRole("dialog", { name: "Close AAPL?" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Cancel" })).toHaveFocus();
    await userEvent.keyboard("{Enter}");
    expect(onCancel).toHaveBeenCalledOnce();
    expect(onConfirm).not.toHaveBeenCalled();
  });

  it("test_confirm_dialog_when_escape_is_pressed_cancels", async () => {
    const { onCancel } = renderDialog();

    await userEvent.keyboard("{Escape}");

    expect(onCancel).toHaveBeenCalledOnce();
  });

  it("test_confirm_dialog_when_tabbing_keeps_focus_inside", async () => {
    const { onConfirm } = renderDialog();

    await userEvent.tab();
    expect(screen.getByRole("button", { name: "Close position" })).toHaveFocus();
    await userEvent.tab();
    expect(screen.getByRole("button", { name: "Cancel" })).toHaveFocus();
    await userEvent.tab({ shift: true });
    await userEvent.keyboard("{Enter}");
    expect(onConfirm).toHaveBeenCalledOnce();
  });
});
