import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { kfTargetFields, kfTargetOf } from '../kf/fields';
import { getKfSessionState } from '../kf/requests';

const properties: INodeProperties[] = [...kfTargetFields];

export const description = updateDisplayOptions(
	{ show: { resource: ['kfSession'], operation: ['get'] } },
	properties,
);

/** kf/service_state/get (doc 94669): service_state, servicer_userid (state 3) and the state's name. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const target = kfTargetOf.call(this, itemIndex);
	const state = await getKfSessionState.call(this, target, itemIndex);
	return { open_kfid: target.openKfId, external_userid: target.externalUserId, ...state };
}
