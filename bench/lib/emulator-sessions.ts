/**
 * Anonymous users with one session each at the emulator, made over its HTTP API as the bot would
 * make them (for baselines that talk to the emulator without the bot).
 */
export interface EmulatorSession {
  token: string;
  sessionId: string;
}

async function envelopeData(response: Response): Promise<Record<string, unknown>> {
  const body = (await response.json()) as { code?: number; data?: Record<string, unknown> };
  if (!response.ok || body.code !== 0 || !body.data) throw new Error(`emulator answered ${response.status}: ${JSON.stringify(body).slice(0, 200)}`);
  return body.data;
}

export async function makeSessions(baseUrl: string, count: number, label: string, inFlight = 50): Promise<EmulatorSession[]> {
  const out: EmulatorSession[] = [];
  let next = 0;
  const one = async (i: number): Promise<EmulatorSession> => {
    const tokenData = await envelopeData(await fetch(`${baseUrl}/api/auth/anonymous-token`, { method: "POST", headers: { "x-client-id": `${label}-${i}` } }));
    const token = String(tokenData.token);
    const sessionData = await envelopeData(
      await fetch(`${baseUrl}/api/tasks/me/with-session/nemo_agent`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ task_name: "project", language: "en" }),
      }),
    );
    return { token, sessionId: String(sessionData.session_id) };
  };
  await Promise.all(
    Array.from({ length: Math.min(inFlight, count) }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await one(i);
      }
    }),
  );
  return out;
}
