/**
 * Where each department sits in the tree WeCom returned: its path of names ('总部/销售部/华南'), the ids
 * along it, its depth and its children. Pure code (no n8n imports): the Department operations and the
 * directory sync share it.
 *
 * A department whose parent is not in the list (the top of an app's visible range, or of the subtree
 * asked for) starts a path of its own at depth 0: the path shows what this secret can see, not the
 * company's full tree.
 */
export interface DirectoryDepartment {
	id: number;
	name: string;
	/** The root department (id 1) has parentid 0 (doc 90208). */
	parentid: number;
}

export interface DepartmentPlace {
	path: string;
	pathIds: number[];
	depth: number;
	childIds: number[];
}

/** Separates names in `path`. WeCom forbids \ : * ? " < > | in department names (doc 90205), not '/'. */
export const PATH_SEPARATOR = '/';

export function departmentPlaces(departments: readonly DirectoryDepartment[]): Map<number, DepartmentPlace> {
	const byId = new Map(departments.map((department) => [department.id, department]));
	const places = new Map<number, DepartmentPlace>();
	for (const department of departments) {
		places.set(department.id, { path: '', pathIds: [], depth: 0, childIds: [] });
	}
	for (const department of departments) {
		if (department.parentid !== department.id && byId.has(department.parentid)) {
			places.get(department.parentid)?.childIds.push(department.id);
		}
	}
	for (const department of departments) {
		// Walk up to the top; a loop in the parent ids (never seen from WeCom) ends the walk where it closes.
		const up: DirectoryDepartment[] = [];
		const seen = new Set<number>();
		for (let at = byId.get(department.id); at && !seen.has(at.id); at = byId.get(at.parentid)) {
			seen.add(at.id);
			up.push(at);
		}
		up.reverse();
		const place = places.get(department.id) as DepartmentPlace;
		place.pathIds = up.map((step) => step.id);
		place.path = up.map((step) => step.name).join(PATH_SEPARATOR);
		place.depth = up.length - 1;
	}
	return places;
}
