import { describe, expect, it } from "vitest";
import { nextRenderPollMs } from "../../jobs/export.js";

describe("the next render poll", () => {
  it("comes when the backend's rate says the render is done, if that is before the interval", () => {
    // 30 s polls: a render the rate says is done in 10 s is polled then, not 20 s after it finished.
    expect(nextRenderPollMs(30_000, 10_000)).toBe(10_250);
    // Done later than the interval, or no rate yet: the interval.
    expect(nextRenderPollMs(30_000, 45_000)).toBe(30_000);
    expect(nextRenderPollMs(30_000, undefined)).toBe(30_000);
  });

  it("never comes sooner than a quarter of the interval, so a render stuck at 99 % is not polled in a loop", () => {
    expect(nextRenderPollMs(30_000, 10)).toBe(7_500);
    expect(nextRenderPollMs(2_000, 10)).toBe(1_000);
  });
});
