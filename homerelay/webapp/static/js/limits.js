// The cooling form's limits, the same as the server's (tests/e2e compares them with its OpenAPI
// document): one place, so that the form never accepts what the server refuses.

export const COOLING_LIMITS = Object.freeze({
  threshold: Object.freeze({ min: -40, max: 85 }),
  hysteresis: Object.freeze({ min: 0, max: 10 }),
  pause_minutes: Object.freeze({ min: 0, max: 1440 }),
});
