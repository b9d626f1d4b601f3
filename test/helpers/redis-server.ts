// Tests start redis-servers (the run's own, and AOF ones for crash tests) with the same code as `npm start`.
export { freePort, startRedisServer, type RedisServerHandle, type StartRedisOptions } from "../../src/redis/private-server.js";
