/** The department tree (paths of names, ids along them, depth, children) and the bounded-concurrency map the directory reads use. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { mapWithConcurrency } from '../../nodes/common/concurrency';
import { departmentPlaces } from '../../nodes/WeCom/actions/department/tree';

describe('departmentPlaces', () => {
	it('gives each department its path from the top of what was listed', () => {
		const places = departmentPlaces([
			{ id: 1, name: '总部', parentid: 0 },
			{ id: 2, name: '销售部', parentid: 1 },
			{ id: 5, name: '华南', parentid: 2 },
			{ id: 3, name: '研发部', parentid: 1 },
		]);
		assert.deepEqual(places.get(5), { path: '总部/销售部/华南', pathIds: [1, 2, 5], depth: 2, childIds: [] });
		assert.deepEqual(places.get(1)?.childIds, [2, 3]);
	});

	it('starts a path where the parent is not in the list (a visible range), and survives a parent loop', () => {
		const places = departmentPlaces([
			{ id: 7, name: '华南', parentid: 2 },
			{ id: 8, name: '广州组', parentid: 7 },
			{ id: 10, name: 'A', parentid: 11 },
			{ id: 11, name: 'B', parentid: 10 },
		]);
		assert.deepEqual(places.get(8), { path: '华南/广州组', pathIds: [7, 8], depth: 1, childIds: [] });
		assert.equal(places.get(10)?.path, 'B/A');
		assert.equal(places.get(11)?.path, 'A/B');
	});
});

describe('mapWithConcurrency', () => {
	it('keeps the order of its inputs and never runs more than the limit at once', async () => {
		let running = 0;
		let most = 0;
		const results = await mapWithConcurrency([5, 1, 4, 2, 3, 0], 2, async (value) => {
			running += 1;
			most = Math.max(most, running);
			await new Promise((resolve) => setTimeout(resolve, value));
			running -= 1;
			return value * 10;
		});
		assert.deepEqual(results, [50, 10, 40, 20, 30, 0]);
		assert.equal(most, 2);
	});

	it('rejects with the first failure and starts no new work after it', async () => {
		const started: number[] = [];
		await assert.rejects(
			mapWithConcurrency([1, 2, 3, 4, 5], 1, async (value) => {
				started.push(value);
				if (value === 2) throw new Error('refused');
				return value;
			}),
			/refused/,
		);
		assert.deepEqual(started, [1, 2]);
	});
});
