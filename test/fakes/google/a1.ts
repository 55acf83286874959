// Google's A1 notation, as the Sheets API v4 reads a range: `Sheet1`, `'My sheet'!A:Z`, `Sheet1!5:5`,
// `Sheet1!A2:E`, `Sheet1!B3`. Rows and columns here are 0-based; an end is exclusive, undefined = open.
// https://developers.google.com/sheets/api/guides/concepts#cell

export interface A1Range {
	sheet: string;
	startRow: number;
	endRow?: number;
	startColumn: number;
	endColumn?: number;
}

/** 'A' → 0, 'Z' → 25, 'AA' → 26. */
export function columnIndex(letters: string): number {
	let index = 0;
	for (const letter of letters.toUpperCase()) index = index * 26 + (letter.charCodeAt(0) - 64);
	return index - 1;
}

export function columnLetters(index: number): string {
	let letters = '';
	for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
	return letters;
}

const CELL = /^([A-Za-z]*)(\d*)$/;

/** Parses a range, or returns undefined for one Google would refuse ("Unable to parse range"). */
export function parseA1(range: string): A1Range | undefined {
	let sheet: string;
	let cells: string | undefined;
	if (range.startsWith("'")) {
		// A quoted title doubles its own quotes: 'It''s'!A1.
		const close = /^'((?:[^']|'')*)'(?:!(.*))?$/.exec(range);
		if (!close) return undefined;
		sheet = close[1].replace(/''/g, "'");
		cells = close[2];
	} else {
		const bang = range.indexOf('!');
		sheet = bang === -1 ? range : range.slice(0, bang);
		cells = bang === -1 ? undefined : range.slice(bang + 1);
	}
	if (!sheet) return undefined;
	if (cells === undefined || cells === '') return { sheet, startRow: 0, startColumn: 0 };
	const [from, to = from] = cells.split(':');
	const a = CELL.exec(from);
	const b = CELL.exec(to);
	if (!a || !b || (!a[1] && !a[2]) || (!b[1] && !b[2])) return undefined;
	return {
		sheet,
		startColumn: a[1] ? columnIndex(a[1]) : 0,
		startRow: a[2] ? Number(a[2]) - 1 : 0,
		endColumn: b[1] ? columnIndex(b[1]) + 1 : undefined,
		endRow: b[2] ? Number(b[2]) : undefined,
	};
}

/** The range as Google names it in answers: 'Sheet'!A1:E3. */
export function formatA1(sheet: string, startRow: number, startColumn: number, rows: number, columns: number): string {
	const title = `'${sheet.replace(/'/g, "''")}'`;
	if (rows === 0 || columns === 0) return `${title}!${columnLetters(startColumn)}${startRow + 1}`;
	return `${title}!${columnLetters(startColumn)}${startRow + 1}:${columnLetters(startColumn + columns - 1)}${startRow + rows}`;
}
