// @ts-check
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";
import regexp from "eslint-plugin-regexp";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "bench/report.*", "bench/tmp/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // Regexes read text we do not write (backend answers, users' messages): super-linear ones can
  // freeze the process. The recommended set catches mistakes; its purely stylistic rules are off.
  regexp.configs["flat/recommended"],
  {
    rules: {
      "regexp/no-super-linear-move": "error",
      "regexp/no-unused-capturing-group": "off",
      "regexp/prefer-w": "off",
      "regexp/use-ignore-case": "off",
      "regexp/prefer-character-class": "off",
      "regexp/prefer-range": "off",
    },
  },
  {
    // The emulator stands in for NemoVideo in tests and the demo: its patterns read the user's words as
    // forwarded by the router, which refuses text over 4,096 characters, and it never runs in production.
    files: ["src/emulator/**"],
    rules: {
      "regexp/no-super-linear-backtracking": "off",
      "regexp/no-super-linear-move": "off",
      "regexp/no-contradiction-with-assertion": "off",
      "regexp/no-dupe-characters-character-class": "off",
      "regexp/no-dupe-disjunctions": "off",
      "regexp/no-useless-assertions": "off",
      "regexp/optimal-quantifier-concatenation": "off",
    },
  },
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
