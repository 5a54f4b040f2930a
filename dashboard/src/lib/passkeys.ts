// The browser side of the passkey ceremonies, with errors a person can act on.
import {
  WebAuthnError,
  browserSupportsWebAuthn,
  startAuthentication,
  startRegistration,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/browser";

export type { AuthenticationResponseJSON, RegistrationResponseJSON };

/** A ceremony that failed in the browser or authenticator, with a message for the user. */
export class PasskeyError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PasskeyError";
  }
}

/** Say whether this browser can use passkeys at all. */
export function passkeysSupported(): boolean {
  return browserSupportsWebAuthn();
}

function explain(error: unknown): PasskeyError {
  if (error instanceof WebAuthnError) {
    if (error.code === "ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED") {
      return new PasskeyError("This authenticator already holds a passkey for this account.", {
        cause: error,
      });
    }
    if (error.code === "ERROR_INVALID_DOMAIN" || error.code === "ERROR_INVALID_RP_ID") {
      return new PasskeyError(
        "Passkeys need a secure origin that matches the server's relying party (open the " +
          "dashboard at the address the server was configured with).",
        { cause: error },
      );
    }
  }
  if (error instanceof Error && error.name === "NotAllowedError") {
    return new PasskeyError("The passkey prompt was cancelled or timed out. Try again.", {
      cause: error,
    });
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new PasskeyError(`The passkey could not be used: ${detail}`, { cause: error });
}

/** Ask the authenticator to create a passkey from the server's creation options. */
export async function createPasskey(options: unknown): Promise<RegistrationResponseJSON> {
  if (!passkeysSupported()) throw new PasskeyError("This browser does not support passkeys.");
  try {
    return await startRegistration({
      optionsJSON: options as PublicKeyCredentialCreationOptionsJSON,
    });
  } catch (error) {
    throw explain(error);
  }
}

/** Ask the authenticator to sign the server's challenge with a passkey. */
export async function signWithPasskey(options: unknown): Promise<AuthenticationResponseJSON> {
  if (!passkeysSupported()) throw new PasskeyError("This browser does not support passkeys.");
  try {
    return await startAuthentication({
      optionsJSON: options as PublicKeyCredentialRequestOptionsJSON,
    });
  } catch (error) {
    throw explain(error);
  }
}
