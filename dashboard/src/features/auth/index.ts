// The auth feature's public surface for the app shell.
export { RequireAuth } from "./RequireAuth";
export { useSession } from "./session";
export { SignOutButton } from "./SignOutButton";
