// The Sheets API v4 calls n8n's built-in Google Sheets node (v4.x) makes for Append, Append or Update,
// Update and Get Rows: spreadsheets.get (sheet ids, titles, grid size), values.get, values.update,
// values.append, values.batchUpdate, values.clear, and spreadsheets.batchUpdate with appendDimension.
// https://developers.google.com/sheets/api/reference/rest
// What the fake does not model: number formats (a number reads back as String(n), never "8.6E+12"),
// formulas (kept as text), and every other batchUpdate request (answered 501 so a test names it).
import { type A1Range, formatA1, parseA1 } from './a1';

export type Cell = string | number | boolean;

interface Sheet {
	sheetId: number;
	title: string;
	/** The grid Google allocates; writing past it is refused until appendDimension grows it. */
	rowCount: number;
	columnCount: number;
	cells: Cell[][];
}

export interface SheetsAnswer {
	status: number;
	body: unknown;
}

/** Google's error body: { error: { code, message, status } }. */
export function googleError(code: number, status: string, message: string): SheetsAnswer {
	return { status: code, body: { error: { code, message, status } } };
}

const GRID_ROWS = 1000;
const GRID_COLUMNS = 26;

export class FakeSpreadsheets {
	private readonly books = new Map<string, Sheet[]>();

	create(id: string, sheets: Record<string, string[][]>): void {
		this.books.set(
			id,
			Object.entries(sheets).map(([title, rows], index) => ({
				// Google gives the first sheet id 0 and others large random ids.
				sheetId: index === 0 ? 0 : 1_000_000 + index,
				title,
				rowCount: Math.max(GRID_ROWS, rows.length),
				columnCount: Math.max(GRID_COLUMNS, ...rows.map((row) => row.length)),
				cells: rows.map((row) => [...row]),
			})),
		);
	}

	/** The sheet as a person reads it: every cell as text, trailing empty rows dropped. */
	rows(id: string, title: string): string[][] {
		const sheet = this.books.get(id)?.find((s) => s.title === title);
		if (!sheet) throw new Error(`the fake holds no sheet "${title}" in spreadsheet "${id}"`);
		return trimmed(sheet.cells.map((row) => row.map((cell) => formatted(cell))));
	}

	/**
	 * Answers one request under /v4/spreadsheets/. `path` is the URL path (still percent-encoded),
	 * `query` its search parameters; undefined means the fake does not know the call.
	 */
	handle(method: string, path: string, query: URLSearchParams, body: unknown): SheetsAnswer | undefined {
		const match = /^\/v4\/spreadsheets\/([^/:]+)(.*)$/.exec(path);
		if (!match) return undefined;
		const id = decodeURIComponent(match[1]);
		const rest = match[2];
		const book = this.books.get(id);
		if (!book) return googleError(404, 'NOT_FOUND', 'Requested entity was not found.');
		const input = (body ?? {}) as Record<string, unknown>;
		if (method === 'GET' && rest === '') return { status: 200, body: spreadsheetResource(id, book) };
		if (method === 'POST' && rest === ':batchUpdate') return batchUpdateSpreadsheet(id, book, input);
		if (method === 'POST' && rest === '/values:batchUpdate') {
			const data = Array.isArray(input.data) ? (input.data as Array<{ range?: string; values?: unknown[][] }>) : [];
			const responses: unknown[] = [];
			for (const entry of data) {
				const answer = write(id, book, String(entry.range ?? ''), entry.values ?? [], String(input.valueInputOption ?? ''));
				if (answer.status !== 200) return answer;
				responses.push(answer.body);
			}
			return { status: 200, body: { spreadsheetId: id, totalUpdatedRows: data.reduce((n, d) => n + (d.values?.length ?? 0), 0), responses } };
		}
		const values = /^\/values\/(.+?)(:append|:clear)?$/.exec(rest);
		if (!values) return undefined;
		const range = decodeURIComponent(values[1]);
		if (method === 'GET' && !values[2]) return read(book, range, query.get('valueRenderOption') ?? 'FORMATTED_VALUE');
		const rows = Array.isArray(input.values) ? (input.values as unknown[][]) : [];
		const inputOption = query.get('valueInputOption') ?? '';
		if (method === 'PUT' && !values[2]) return write(id, book, range, rows, inputOption);
		if (method === 'POST' && values[2] === ':append') return append(id, book, range, rows, inputOption);
		if (method === 'POST' && values[2] === ':clear') return clear(id, book, range);
		return undefined;
	}
}

function spreadsheetResource(id: string, book: Sheet[]): unknown {
	return {
		spreadsheetId: id,
		properties: { title: id },
		sheets: book.map((sheet, index) => ({
			properties: {
				sheetId: sheet.sheetId,
				title: sheet.title,
				index,
				sheetType: 'GRID',
				gridProperties: { rowCount: sheet.rowCount, columnCount: sheet.columnCount },
			},
		})),
	};
}

function locate(book: Sheet[], range: string): { sheet: Sheet; a1: A1Range } | SheetsAnswer {
	const a1 = parseA1(range);
	if (!a1) return googleError(400, 'INVALID_ARGUMENT', `Unable to parse range: ${range}`);
	const sheet = book.find((s) => s.title === a1.sheet);
	if (!sheet) return googleError(400, 'INVALID_ARGUMENT', `Unable to parse range: ${range}`);
	return { sheet, a1 };
}

function read(book: Sheet[], range: string, render: string): SheetsAnswer {
	const found = locate(book, range);
	if (!('sheet' in found)) return found;
	const { sheet, a1 } = found;
	const rows = sheet.cells
		.slice(a1.startRow, a1.endRow)
		.map((row) => row.slice(a1.startColumn, a1.endColumn).map((cell) => (render === 'FORMATTED_VALUE' ? formatted(cell) : cell)));
	const values = trimmed(rows);
	const width = Math.max(0, ...values.map((row) => row.length));
	// Google leaves `values` out when the range holds nothing.
	const answer: Record<string, unknown> = { range: formatA1(sheet.title, a1.startRow, a1.startColumn, values.length, width), majorDimension: 'ROWS' };
	if (values.length) answer.values = values;
	return { status: 200, body: answer };
}

function write(id: string, book: Sheet[], range: string, rows: unknown[][], inputOption: string): SheetsAnswer {
	if (inputOption !== 'RAW' && inputOption !== 'USER_ENTERED') {
		return googleError(400, 'INVALID_ARGUMENT', "'valueInputOption' is required but not specified");
	}
	const found = locate(book, range);
	if (!('sheet' in found)) return found;
	const { sheet, a1 } = found;
	const width = Math.max(0, ...rows.map((row) => row.length));
	const lastRow = a1.startRow + rows.length;
	const lastColumn = a1.startColumn + width;
	if (lastRow > sheet.rowCount || lastColumn > sheet.columnCount) {
		return googleError(
			400,
			'INVALID_ARGUMENT',
			`Range (${formatA1(sheet.title, a1.startRow, a1.startColumn, rows.length, width)}) exceeds grid limits. Max rows: ${sheet.rowCount}, max columns: ${sheet.columnCount}`,
		);
	}
	rows.forEach((row, r) => {
		const target = (sheet.cells[a1.startRow + r] ??= []);
		row.forEach((value, c) => {
			// null leaves the cell as it is (the API's "skip this cell").
			if (value === null || value === undefined) return;
			target[a1.startColumn + c] = entered(value, inputOption);
		});
	});
	fillHoles(sheet);
	return {
		status: 200,
		body: {
			spreadsheetId: id,
			updatedRange: formatA1(sheet.title, a1.startRow, a1.startColumn, rows.length, width),
			updatedRows: rows.length,
			updatedColumns: width,
			updatedCells: rows.reduce((n, row) => n + row.length, 0),
		},
	};
}

/** values.append: after the last row that holds anything (Google's "table" under the range, simplified). */
function append(id: string, book: Sheet[], range: string, rows: unknown[][], inputOption: string): SheetsAnswer {
	const found = locate(book, range);
	if (!('sheet' in found)) return found;
	const { sheet, a1 } = found;
	const next = trimmed(sheet.cells.map((row) => row.map((cell) => formatted(cell)))).length;
	// Writing past the end of the grid inserts the rows it needs, with either insertDataOption.
	sheet.rowCount = Math.max(sheet.rowCount, next + rows.length);
	const written = write(id, book, formatA1(sheet.title, next, a1.startColumn, 0, 0), rows, inputOption);
	if (written.status !== 200) return written;
	return { status: 200, body: { spreadsheetId: id, tableRange: formatA1(sheet.title, 0, 0, next, sheet.columnCount), updates: written.body } };
}

function clear(id: string, book: Sheet[], range: string): SheetsAnswer {
	const found = locate(book, range);
	if (!('sheet' in found)) return found;
	const { sheet, a1 } = found;
	const end = a1.endRow ?? sheet.cells.length;
	for (let r = a1.startRow; r < Math.min(end, sheet.cells.length); r++) {
		const row = sheet.cells[r];
		for (let c = a1.startColumn; c < Math.min(a1.endColumn ?? row.length, row.length); c++) row[c] = '';
	}
	return { status: 200, body: { spreadsheetId: id, clearedRange: range } };
}

function batchUpdateSpreadsheet(id: string, book: Sheet[], input: Record<string, unknown>): SheetsAnswer | undefined {
	const requests = Array.isArray(input.requests) ? (input.requests as Array<Record<string, unknown>>) : [];
	const replies: unknown[] = [];
	for (const request of requests) {
		const grow = request.appendDimension as { sheetId?: number | string; dimension?: string; length?: number | string } | undefined;
		// Any other kind of request: unknown to the fake, so the caller answers 501 and names it.
		if (!grow) return undefined;
		// Google reads JSON as protobuf does: an int32 may come as a string ("0"), and n8n sends it so.
		const sheet = book.find((s) => s.sheetId === Number(grow.sheetId));
		if (!sheet) return googleError(400, 'INVALID_ARGUMENT', `No grid with id: ${String(grow.sheetId)}`);
		if (grow.dimension === 'ROWS') sheet.rowCount += Number(grow.length ?? 0);
		else sheet.columnCount += Number(grow.length ?? 0);
		replies.push({});
	}
	return { status: 200, body: { spreadsheetId: id, replies } };
}

/** USER_ENTERED parses what a person would type: numbers, TRUE/FALSE, and a leading ' keeps text as text. */
function entered(value: unknown, inputOption: string): Cell {
	if (typeof value === 'number' || typeof value === 'boolean') return value;
	const text = String(value);
	if (inputOption === 'RAW') return text;
	if (text.startsWith("'")) return text.slice(1);
	if (/^-?\d+(\.\d+)?$/.test(text.trim())) return Number(text);
	if (/^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
	return text;
}

function formatted(cell: Cell | undefined): string {
	if (cell === undefined) return '';
	if (typeof cell === 'boolean') return cell ? 'TRUE' : 'FALSE';
	return String(cell);
}

/** Google drops trailing empty cells of each row and trailing empty rows. */
function trimmed<T extends Cell>(rows: T[][]): T[][] {
	const out = rows.map((row) => {
		let end = row.length;
		while (end > 0 && (row[end - 1] === '' || row[end - 1] === undefined)) end--;
		return row.slice(0, end);
	});
	while (out.length && out[out.length - 1].length === 0) out.pop();
	return out;
}

/** Rows skipped by a write stay empty rows, not holes. */
function fillHoles(sheet: Sheet): void {
	for (let r = 0; r < sheet.cells.length; r++) {
		sheet.cells[r] ??= [];
		const row = sheet.cells[r];
		for (let c = 0; c < row.length; c++) row[c] ??= '';
	}
}
