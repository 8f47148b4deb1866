/** What each provider can do, checked at the door: a kind a requested provider cannot do is a 400. */
import { getAdapter } from "../adapters/router";
import { ApiError } from "../lib/errors";
import type { ImageOpKind, ProviderId } from "../lib/vocabulary";

/** The kinds a provider supports, from its adapter's declared `supports`. */
export const supportedKinds = (provider: ProviderId): readonly ImageOpKind[] => getAdapter(provider).supports;

/** Throws 400 `invalid_request` naming every requested provider that cannot do `kind`. */
export function requireCapabilities(providers: ProviderId[], kind: ImageOpKind): void {
  const unable = providers.filter((p) => !supportedKinds(p).includes(kind));
  if (unable.length === 0) return;
  throw new ApiError(
    "invalid_request",
    `kind: ${unable.map((p) => `'${p}'`).join(", ")} cannot do '${kind}'`,
    {
      details: unable.map((provider) => ({
        code: "unsupported_kind",
        path: ["kind"],
        provider,
        kind,
        supported: [...supportedKinds(provider)],
        message: `provider '${provider}' does not support '${kind}' (it supports ${supportedKinds(provider).join(", ")})`,
      })),
    },
  );
}
