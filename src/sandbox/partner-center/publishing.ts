/**
 * When a usage line becomes visible, and in which period it is charged.
 *
 * Microsoft publishes a day's rated usage about 24 h later, sometimes 48 h. Each
 * line here gets its own delay in [min, max] hours from the seed, counted from
 * 00:00 UTC of its usage date. A small share of lines is "latent": Microsoft
 * charges them a period late, so they appear early in the next month with the
 * earlier period's dates and are billed on the next month's invoice.
 *
 * @example
 *   const latent = isLatent(resource.seed, day, 0.002);
 *   publishAtMs(resource.seed, day, latent, [24, 48]); // ms since epoch
 */
import { hash3, unit } from '../prng.ts';
import { DAY_MS, firstDayOfMonth, monthIndexOfDay } from './calendar.ts';

const SALT_LATENT = 0x1a7e;
const SALT_DELAY = 0xde1a;
/** Latent lines surface this long after the next month begins, plus the usual delay. */
const LATENT_GRACE_DAYS = 2;

export function isLatent(lineSeed: number, day: number, latentShare: number): boolean {
  return latentShare > 0 && unit(hash3(lineSeed, day, SALT_LATENT)) < latentShare;
}

export function publishDelayMinutes(lineSeed: number, day: number, latencyHours: readonly [number, number]): number {
  const [minH, maxH] = latencyHours;
  const spread = Math.round((maxH - minH) * 60) + 1;
  return Math.round(minH * 60) + (hash3(lineSeed, day, SALT_DELAY) % spread);
}

export function publishAtMs(lineSeed: number, day: number, latent: boolean, latencyHours: readonly [number, number]): number {
  const delayMs = publishDelayMinutes(lineSeed, day, latencyHours) * 60_000;
  if (!latent) return day * DAY_MS + delayMs;
  const nextMonthStart = firstDayOfMonth(monthIndexOfDay(day) + 1);
  return (nextMonthStart + LATENT_GRACE_DAYS) * DAY_MS + delayMs;
}

/** The month whose invoice carries the line. */
export function chargedMonth(day: number, latent: boolean): number {
  return monthIndexOfDay(day) + (latent ? 1 : 0);
}
