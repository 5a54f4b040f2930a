// Account settings: passkeys, API tokens and invitations.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "@/api";
import type { TokenRequest } from "@/api/types";
import { createPasskey } from "@/lib/passkeys";

export const settingsKeys = {
  all: ["settings"] as const,
  passkeys: () => [...settingsKeys.all, "passkeys"] as const,
  tokens: () => [...settingsKeys.all, "tokens"] as const,
};

export function usePasskeys() {
  return useQuery({
    queryKey: settingsKeys.passkeys(),
    queryFn: () => unwrap(api.client.GET("/api/passkeys")),
  });
}

/** Register another passkey (another device) for the signed-in account. */
export function useAddPasskey() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (name: string) => {
      const begin = await unwrap(api.client.POST("/auth/passkeys/add/begin"));
      const credential = await createPasskey(begin.options);
      return unwrap(
        api.client.POST("/auth/passkeys/add/complete", { body: { ceremony: begin.ceremony, credential, name } }),
      );
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: settingsKeys.passkeys() }),
  });
}

export function useRemovePasskey() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.client.DELETE("/api/passkeys/{passkey_id}", { params: { path: { passkey_id: id } } })),
    onSettled: () => queryClient.invalidateQueries({ queryKey: settingsKeys.passkeys() }),
  });
}

export function useApiTokens() {
  return useQuery({
    queryKey: settingsKeys.tokens(),
    queryFn: () => unwrap(api.client.GET("/api/tokens")),
  });
}

export function useMintToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: TokenRequest) => unwrap(api.client.POST("/api/tokens", { body: request })),
    onSettled: () => queryClient.invalidateQueries({ queryKey: settingsKeys.tokens() }),
  });
}

export function useRevokeToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.client.DELETE("/api/tokens/{token_id}", { params: { path: { token_id: id } } })),
    onSettled: () => queryClient.invalidateQueries({ queryKey: settingsKeys.tokens() }),
  });
}

export function useCreateInvitation() {
  return useMutation({
    mutationFn: () => unwrap(api.client.POST("/api/invitations")),
  });
}
