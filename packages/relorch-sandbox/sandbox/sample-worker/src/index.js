// The sample Worker the sandbox imitates under /workers/<script>/...: a health check and a
// challenge -> proof -> verification key flow that only works when SIGNING_KEY is right.
// Stateless on purpose (HMACs instead of storage), so any isolate or version can answer any step.

const json = (body, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

const hex = (buffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");

async function hmac(key, message) {
  const secret = await crypto.subtle.importKey(
    "raw", new TextEncoder().encode(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"],
  );
  return hex(await crypto.subtle.sign("HMAC", secret, new TextEncoder().encode(message)));
}

const sha256 = async (text) => hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));

export default {
  async fetch(request, env) {
    const versionId = env.CF_VERSION_METADATA?.id ?? "unknown";
    const path = new URL(request.url).pathname;
    const body = request.method === "POST" ? await request.json().catch(() => ({})) : {};
    const key = env.SIGNING_KEY;

    if (path.endsWith("/health")) {
      return key ? json({ status: "ok", version_id: versionId })
                 : json({ status: "failing", version_id: versionId }, 503);
    }
    if (path.endsWith("/challenge")) {
      const challengeId = crypto.randomUUID();
      return json({ challenge_id: challengeId, nonce: await hmac(key, `nonce:${challengeId}`) });
    }
    if (path.endsWith("/proof")) {
      const nonce = await hmac(key, `nonce:${body.challenge_id}`);
      if (!body.challenge_id || body.proof !== await sha256(nonce)) {
        return json({ error: "proof does not match the challenge" }, 400);
      }
      const mac = await hmac(key, `token:${body.challenge_id}`);
      return json({ proof_token: `${body.challenge_id}.${mac}` });
    }
    if (path.endsWith("/verification")) {
      const [challengeId, mac] = String(body.proof_token ?? "").split(".");
      if (!challengeId || !mac) return json({ error: "unknown proof token" }, 400);
      if (mac !== await hmac(key, `token:${challengeId}`)) {
        return json({ verified: false, reason: "signature does not verify with the configured signing key",
                      version_id: versionId });
      }
      return json({ verified: true, version_id: versionId });
    }
    return json({ error: "not found" }, 404);
  },
};
