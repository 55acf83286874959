/**
 * Business hours in a time zone, with Intl.DateTimeFormat (no date library): which local day and
 * minute a moment falls on, and whether that is inside the opening hours. A range whose end is
 * before its start runs overnight and belongs to the day it starts on (Friday 22:00–06:00 covers
 * Saturday 03:00); equal start and end mean the whole day.
 */

export type Weekday = 'sunday' | 'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday';

export const WEEKDAYS: readonly Weekday[] = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

export interface BusinessHours {
	/** IANA time zone, e.g. 'Asia/Shanghai'. */
	timezone: string;
	days: readonly Weekday[];
	/** Minutes after local midnight. */
	from: number;
	to: number;
}

export interface LocalTime {
	weekday: Weekday;
	/** Minutes after local midnight. */
	minutes: number;
	/** The local calendar day, YYYY-MM-DD. */
	date: string;
}

/** "9:00", "09:00" or "24:00" → minutes after midnight; undefined when it is not a time of day. */
export function parseTimeOfDay(value: string): number | undefined {
	const match = /^\s*(\d{1,2})\s*[:：]\s*(\d{2})\s*$/.exec(value);
	if (!match) return undefined;
	const hours = Number(match[1]);
	const minutes = Number(match[2]);
	if (minutes > 59 || hours > 24 || (hours === 24 && minutes !== 0)) return undefined;
	return hours * 60 + minutes;
}

/** Building a formatter costs far more than using one: one per time zone. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
	let formatter = formatters.get(timezone);
	if (!formatter) {
		formatter = new Intl.DateTimeFormat('en-US', {
			timeZone: timezone,
			weekday: 'long',
			year: 'numeric',
			month: '2-digit',
			day: '2-digit',
			hour: '2-digit',
			minute: '2-digit',
			hourCycle: 'h23',
		});
		formatters.set(timezone, formatter);
	}
	return formatter;
}

/** Whether `timezone` is a time zone this runtime knows. */
export function isValidTimezone(timezone: string): boolean {
	try {
		formatterFor(timezone);
		return true;
	} catch {
		return false;
	}
}

/** The local weekday, time and date of `now` (ms since the epoch) in `timezone`. */
export function localTime(now: number, timezone: string): LocalTime {
	const parts: Record<string, string> = {};
	for (const part of formatterFor(timezone).formatToParts(now)) parts[part.type] = part.value;
	return {
		weekday: parts.weekday.toLowerCase() as Weekday,
		minutes: (Number(parts.hour) % 24) * 60 + Number(parts.minute),
		date: `${parts.year}-${parts.month}-${parts.day}`,
	};
}

function previousDay(day: Weekday): Weekday {
	return WEEKDAYS[(WEEKDAYS.indexOf(day) + 6) % 7];
}

/** Whether `now` is inside the business hours. */
export function isWithinBusinessHours(hours: BusinessHours, now: number): boolean {
	const { weekday, minutes } = localTime(now, hours.timezone);
	const open = (day: Weekday) => hours.days.includes(day);
	if (hours.from === hours.to) return open(weekday);
	if (hours.from < hours.to) return open(weekday) && minutes >= hours.from && minutes < hours.to;
	// Overnight: the evening part belongs to today, the early-morning part to yesterday's range.
	return (open(weekday) && minutes >= hours.from) || (open(previousDay(weekday)) && minutes < hours.to);
}
