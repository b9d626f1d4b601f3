// @ts-check
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "bench/report.*", "bench/tmp/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Promises that nobody awaits lose their errors: every one must be awaited, returned or voided.
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { attributes: false } }],
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // Only the terminal adapter and scripts talk to the console; everything else logs through pino.
      "no-console": "error",
    },
  },
  {
    // One factory makes every Redis connection, so REDIS_CLUSTER_NODES reaches all of them.
    files: ["src/**/*.ts", "adapters/**/*.ts", "jobs/**/*.ts"],
    ignores: ["src/redis/client.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { paths: [{ name: "ioredis", message: "Connect through src/redis/client.ts (connectRedis) and type connections as RedisClient: a Redis Cluster must reach every connection." }] },
      ],
    },
  },
  {
    files: ["adapters/terminal/**", "scripts/**", "bench/**", "src/emulator/main.ts", "src/main.ts"],
    rules: { "no-console": "off" },
  },
  { files: ["**/*.js", "**/*.mjs"], ...tseslint.configs.disableTypeChecked },
  { files: ["**/*.js", "**/*.mjs"], languageOptions: { globals: globals.node } },
);
