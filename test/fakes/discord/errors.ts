/** Discord's JSON error bodies, with the HTTP status each one really comes with. */
export interface DiscordErrorSpec {
  status: number;
  code: number;
  message: string;
}

export const DISCORD_ERRORS = {
  unknownMessage: { status: 404, code: 10008, message: "Unknown Message" },
  unknownWebhook: { status: 404, code: 10015, message: "Unknown Webhook" },
  unknownInteraction: { status: 404, code: 10062, message: "Unknown interaction" },
  alreadyAcknowledged: { status: 400, code: 40060, message: "Interaction has already been acknowledged." },
  missingAccess: { status: 403, code: 50001, message: "Missing Access" },
  cannotDmUser: { status: 403, code: 50007, message: "Cannot send messages to this user" },
  invalidWebhookToken: { status: 401, code: 50027, message: "Invalid Webhook Token" },
  tooLong: { status: 400, code: 50035, message: "Invalid Form Body (content: Must be 2000 or fewer in length.)" },
  nonceTooLong: { status: 400, code: 50035, message: "Invalid Form Body (nonce: Must be 25 or fewer in length.)" },
  entityTooLarge: { status: 413, code: 40005, message: "Request entity too large" },
  notFound: { status: 404, code: 0, message: "404: Not Found" },
} satisfies Record<string, DiscordErrorSpec>;
