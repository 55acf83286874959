import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';

import { WeComCallbackError } from '../../nodes/WeCom/callback/crypto';
import { buildXml, extractEncrypt, parseXml, toCdata, type XmlObject } from '../../nodes/WeCom/callback/xml';
import { callbackErrorOf } from '../support/wecom-callback';
import { seeded } from '../support/random';

const rejects = callbackErrorOf;

// Decrypted payloads from the official docs: 90239 (消息格式), 90240 (事件格式), 90970 (成员变更通知),
// 94670 (微信客服 接收消息和事件), with the docs' own whitespace.
const SAMPLES: Array<{ name: string; xml: string; expected: XmlObject }> = [
	{
		name: 'text message',
		xml: `<xml>
 <ToUserName><![CDATA[toUser]]></ToUserName>
 <FromUserName><![CDATA[fromUser]]></FromUserName> 
 <CreateTime>1348831860</CreateTime>
 <MsgType><![CDATA[text]]></MsgType>
 <Content><![CDATA[this is a test]]></Content>
 <MsgId>1234567890123456</MsgId>
 <AgentID>1</AgentID>
</xml>`,
		expected: {
			ToUserName: 'toUser',
			FromUserName: 'fromUser',
			CreateTime: '1348831860',
			MsgType: 'text',
			Content: 'this is a test',
			MsgId: '1234567890123456',
			AgentID: '1',
		},
	},
	{
		name: 'image message',
		xml: `<xml>
 <ToUserName><![CDATA[toUser]]></ToUserName>
 <FromUserName><![CDATA[fromUser]]></FromUserName>
 <CreateTime>1348831860</CreateTime>
 <MsgType><![CDATA[image]]></MsgType>
 <PicUrl><![CDATA[this is a url]]></PicUrl>
 <MediaId><![CDATA[media_id]]></MediaId>
 <MsgId>1234567890123456</MsgId>
 <AgentID>1</AgentID>
</xml>
`,
		expected: {
			ToUserName: 'toUser',
			FromUserName: 'fromUser',
			CreateTime: '1348831860',
			MsgType: 'image',
			PicUrl: 'this is a url',
			MediaId: 'media_id',
			MsgId: '1234567890123456',
			AgentID: '1',
		},
	},
	{
		name: 'voice message',
		xml: `<xml>
 <ToUserName><![CDATA[toUser]]></ToUserName>
 <FromUserName><![CDATA[fromUser]]></FromUserName>
 <CreateTime>1357290913</CreateTime>
 <MsgType><![CDATA[voice]]></MsgType>
 <MediaId><![CDATA[media_id]]></MediaId>
 <Format><![CDATA[Format]]></Format>
 <MsgId>1234567890123456</MsgId>
 <AgentID>1</AgentID>
</xml>`,
		expected: {
			ToUserName: 'toUser',
			FromUserName: 'fromUser',
			CreateTime: '1357290913',
			MsgType: 'voice',
			MediaId: 'media_id',
			Format: 'Format',
			MsgId: '1234567890123456',
			AgentID: '1',
		},
	},
	{
		name: 'video message',
		xml: `<xml>
 <ToUserName><![CDATA[toUser]]></ToUserName>
 <FromUserName><![CDATA[fromUser]]></FromUserName>
 <CreateTime>1357290913</CreateTime>
 <MsgType><![CDATA[video]]></MsgType>
 <MediaId><![CDATA[media_id]]></MediaId>
 <ThumbMediaId><![CDATA[thumb_media_id]]></ThumbMediaId>
 <MsgId>1234567890123456</MsgId>
 <AgentID>1</AgentID>
</xml>`,
		expected: {
			ToUserName: 'toUser',
			FromUserName: 'fromUser',
			CreateTime: '1357290913',
			MsgType: 'video',
			MediaId: 'media_id',
			ThumbMediaId: 'thumb_media_id',
			MsgId: '1234567890123456',
			AgentID: '1',
		},
	},
	{
		name: 'location message',
		xml: `<xml>
 <ToUserName><![CDATA[toUser]]></ToUserName>
 <FromUserName><![CDATA[fromUser]]></FromUserName>
 <CreateTime>1351776360</CreateTime>
 <MsgType><![CDATA[location]]></MsgType>
 <Location_X>23.134</Location_X>
 <Location_Y>113.358</Location_Y>
 <Scale>20</Scale>
 <Label><![CDATA[位置信息]]></Label>
 <MsgId>1234567890123456</MsgId>
 <AgentID>1</AgentID>
 <AppType><![CDATA[wxwork]]></AppType>
</xml>`,
		expected: {
			ToUserName: 'toUser',
			FromUserName: 'fromUser',
			CreateTime: '1351776360',
			MsgType: 'location',
			Location_X: '23.134',
			Location_Y: '113.358',
			Scale: '20',
			Label: '位置信息',
			MsgId: '1234567890123456',
			AgentID: '1',
			AppType: 'wxwork',
		},
	},
	{
		name: 'link message',
		xml: `<xml>
 <ToUserName><![CDATA[toUser]]></ToUserName>
 <FromUserName><![CDATA[fromUser]]></FromUserName> 
 <CreateTime>1348831860</CreateTime>
 <MsgType><![CDATA[link]]></MsgType>
 <Title><![CDATA[this is a title！]]></Title>
 <Description><![CDATA[this is a description！]]></Description>
 <Url><![CDATA[URL]]></Url>
 <PicUrl><![CDATA[this is a url]]></PicUrl>
 <MsgId>1234567890123456</MsgId>
 <AgentID>1</AgentID>
</xml>`,
		expected: {
			ToUserName: 'toUser',
			FromUserName: 'fromUser',
			CreateTime: '1348831860',
			MsgType: 'link',
			Title: 'this is a title！',
			Description: 'this is a description！',
			Url: 'URL',
			PicUrl: 'this is a url',
			MsgId: '1234567890123456',
			AgentID: '1',
		},
	},
	{
		name: 'subscribe event',
		xml: `<xml>
  <ToUserName><![CDATA[toUser]]></ToUserName>
  <FromUserName><![CDATA[UserID]]></FromUserName>
  <CreateTime>1348831860</CreateTime>
  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[subscribe]]></Event>
  <AgentID>1</AgentID>
</xml>`,
		expected: {
			ToUserName: 'toUser',
			FromUserName: 'UserID',
			CreateTime: '1348831860',
			MsgType: 'event',
			Event: 'subscribe',
			AgentID: '1',
		},
	},
	{
		name: 'enter_agent event',
		xml: `<xml><ToUserName><![CDATA[toUser]]></ToUserName>
<FromUserName><![CDATA[FromUser]]></FromUserName>
<CreateTime>1408091189</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[enter_agent]]></Event>
<EventKey><![CDATA[]]></EventKey>
<AgentID>1</AgentID>
</xml>`,
		expected: {
			ToUserName: 'toUser',
			FromUserName: 'FromUser',
			CreateTime: '1408091189',
			MsgType: 'event',
			Event: 'enter_agent',
			EventKey: '',
			AgentID: '1',
		},
	},
	{
		name: 'LOCATION event',
		xml: `<xml>
 <ToUserName><![CDATA[toUser]]></ToUserName>
 <FromUserName><![CDATA[FromUser]]></FromUserName>
 <CreateTime>123456789</CreateTime>
 <MsgType><![CDATA[event]]></MsgType>
 <Event><![CDATA[LOCATION]]></Event>
 <Latitude>23.104</Latitude>
 <Longitude>113.320</Longitude>
 <Precision>65.000</Precision>
 <AgentID>1</AgentID>
 <AppType><![CDATA[wxwork]]></AppType>
</xml>`,
		expected: {
			ToUserName: 'toUser',
			FromUserName: 'FromUser',
			CreateTime: '123456789',
			MsgType: 'event',
			Event: 'LOCATION',
			Latitude: '23.104',
			Longitude: '113.320',
			Precision: '65.000',
			AgentID: '1',
			AppType: 'wxwork',
		},
	},
	{
		name: 'batch_job_result event',
		xml: `<xml><ToUserName><![CDATA[wwddddccc7775555aaa]]></ToUserName>
<FromUserName><![CDATA[FromUser]]></FromUserName>
<CreateTime>1425284517</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[batch_job_result]]></Event>
<BatchJob><JobId><![CDATA[S0MrnndvRG5fadSlLwiBqiDDbM143UqTmKP3152FZk4]]></JobId>
<JobType><![CDATA[sync_user]]></JobType>
<ErrCode>0</ErrCode>
<ErrMsg><![CDATA[ok]]></ErrMsg>
</BatchJob>
</xml>`,
		expected: {
			ToUserName: 'wwddddccc7775555aaa',
			FromUserName: 'FromUser',
			CreateTime: '1425284517',
			MsgType: 'event',
			Event: 'batch_job_result',
			BatchJob: {
				JobId: 'S0MrnndvRG5fadSlLwiBqiDDbM143UqTmKP3152FZk4',
				JobType: 'sync_user',
				ErrCode: '0',
				ErrMsg: 'ok',
			},
		},
	},
	{
		name: 'change_contact create_party event',
		xml: `<xml>
  <ToUserName><![CDATA[toUser]]></ToUserName>
  <FromUserName><![CDATA[sys]]></FromUserName> 
  <CreateTime>1403610513</CreateTime>
  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[change_contact]]></Event>
  <ChangeType>create_party</ChangeType>
  <Id>2</Id>
  <Name><![CDATA[张三]]></Name>
  <ParentId>1</ParentId>
  <Order>1</Order>
</xml>`,
		expected: {
			ToUserName: 'toUser',
			FromUserName: 'sys',
			CreateTime: '1403610513',
			MsgType: 'event',
			Event: 'change_contact',
			ChangeType: 'create_party',
			Id: '2',
			Name: '张三',
			ParentId: '1',
			Order: '1',
		},
	},
	{
		name: 'change_contact update_tag event',
		xml: `<xml>
  <ToUserName><![CDATA[toUser]]></ToUserName>
  <FromUserName><![CDATA[sys]]></FromUserName> 
  <CreateTime>1403610513</CreateTime>
  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[change_contact]]></Event>
  <ChangeType><![CDATA[update_tag]]></ChangeType>
  <TagId>1</TagId>
  <AddUserItems><![CDATA[zhangsan,lisi]]></AddUserItems>
  <DelUserItems><![CDATA[zhangsan1,lisi1]]></DelUserItems>
  <AddPartyItems><![CDATA[1,2]]></AddPartyItems>
  <DelPartyItems><![CDATA[3,4]]></DelPartyItems>
</xml>`,
		expected: {
			ToUserName: 'toUser',
			FromUserName: 'sys',
			CreateTime: '1403610513',
			MsgType: 'event',
			Event: 'change_contact',
			ChangeType: 'update_tag',
			TagId: '1',
			AddUserItems: 'zhangsan,lisi',
			DelUserItems: 'zhangsan1,lisi1',
			AddPartyItems: '1,2',
			DelPartyItems: '3,4',
		},
	},
	{
		name: 'change_contact create_user event with ExtAttr items',
		xml: `<xml>
  <ToUserName><![CDATA[toUser]]></ToUserName>
  <FromUserName><![CDATA[sys]]></FromUserName> 
  <CreateTime>1403610513</CreateTime>
  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[change_contact]]></Event>
  <ChangeType>create_user</ChangeType>
  <UserID><![CDATA[zhangsan]]></UserID>
  <Name><![CDATA[张三]]></Name>
  <Department><![CDATA[1,2,3]]></Department>
  <MainDepartment>1</MainDepartment>
  <IsLeaderInDept><![CDATA[1,0,0]]></IsLeaderInDept>
  <DirectLeader><![CDATA[lisi,wangwu]]></DirectLeader>
  <Position><![CDATA[产品经理]]></Position>
  <Mobile>13800000000</Mobile>
  <Gender>1</Gender>
  <Email><![CDATA[zhangsan@gzdev.com]]></Email>
  <BizMail><![CDATA[zhangsan@qyycs2.wecom.work]]></BizMail>
  <Status>1</Status>
  <Avatar><![CDATA[http://wx.qlogo.cn/mmopen/ajNVdqHZLLA3WJ6DSZUfiakYe37PKnQhBIeOQBO4czqrnZDS79FH5Wm5m4X69TBicnHFlhiafvDwklOpZeXYQQ2icg/0]]></Avatar>
  <Alias><![CDATA[zhangsan]]></Alias>
  <Telephone><![CDATA[020-123456]]></Telephone>
  <Address><![CDATA[广州市]]></Address>
  <ExtAttr>
    <Item>
    <Name><![CDATA[爱好]]></Name>
    <Type>0</Type>
    <Text>
      <Value><![CDATA[旅游]]></Value>
    </Text>
    </Item>
    <Item>
    <Name><![CDATA[卡号]]></Name>
    <Type>1</Type>
    <Web>
      <Title><![CDATA[企业微信]]></Title>
      <Url><![CDATA[https://work.weixin.qq.com]]></Url>
    </Web>
    </Item>
  </ExtAttr>
</xml>`,
		expected: {
			ToUserName: 'toUser',
			FromUserName: 'sys',
			CreateTime: '1403610513',
			MsgType: 'event',
			Event: 'change_contact',
			ChangeType: 'create_user',
			UserID: 'zhangsan',
			Name: '张三',
			Department: '1,2,3',
			MainDepartment: '1',
			IsLeaderInDept: '1,0,0',
			DirectLeader: 'lisi,wangwu',
			Position: '产品经理',
			Mobile: '13800000000',
			Gender: '1',
			Email: 'zhangsan@gzdev.com',
			BizMail: 'zhangsan@qyycs2.wecom.work',
			Status: '1',
			Avatar:
				'http://wx.qlogo.cn/mmopen/ajNVdqHZLLA3WJ6DSZUfiakYe37PKnQhBIeOQBO4czqrnZDS79FH5Wm5m4X69TBicnHFlhiafvDwklOpZeXYQQ2icg/0',
			Alias: 'zhangsan',
			Telephone: '020-123456',
			Address: '广州市',
			ExtAttr: {
				Item: [
					{ Name: '爱好', Type: '0', Text: { Value: '旅游' } },
					{ Name: '卡号', Type: '1', Web: { Title: '企业微信', Url: 'https://work.weixin.qq.com' } },
				],
			},
		},
	},
	{
		name: 'click menu event',
		xml: `<xml>
  <ToUserName><![CDATA[toUser]]></ToUserName>
  <FromUserName><![CDATA[FromUser]]></FromUserName>
  <CreateTime>123456789</CreateTime>
  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[click]]></Event>
  <EventKey><![CDATA[EVENTKEY]]></EventKey>
  <AgentID>1</AgentID>
</xml>
`,
		expected: {
			ToUserName: 'toUser',
			FromUserName: 'FromUser',
			CreateTime: '123456789',
			MsgType: 'event',
			Event: 'click',
			EventKey: 'EVENTKEY',
			AgentID: '1',
		},
	},
	{
		name: 'view menu event',
		xml: `<xml>
  <ToUserName><![CDATA[toUser]]></ToUserName>
  <FromUserName><![CDATA[FromUser]]></FromUserName>
  <CreateTime>123456789</CreateTime>
  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[view]]></Event>
  <EventKey><![CDATA[www.qq.com]]></EventKey>
  <AgentID>1</AgentID>
</xml>
`,
		expected: {
			ToUserName: 'toUser',
			FromUserName: 'FromUser',
			CreateTime: '123456789',
			MsgType: 'event',
			Event: 'view',
			EventKey: 'www.qq.com',
			AgentID: '1',
		},
	},
	{
		name: 'scancode_push event',
		xml: `<xml>
  <ToUserName><![CDATA[toUser]]></ToUserName>
  <FromUserName><![CDATA[FromUser]]></FromUserName>
  <CreateTime>1408090502</CreateTime>
  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[scancode_push]]></Event>
  <EventKey><![CDATA[6]]></EventKey>
  <ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType>
  <ScanResult><![CDATA[1]]></ScanResult>
  </ScanCodeInfo>
  <AgentID>1</AgentID>
</xml>
`,
		expected: {
			ToUserName: 'toUser',
			FromUserName: 'FromUser',
			CreateTime: '1408090502',
			MsgType: 'event',
			Event: 'scancode_push',
			EventKey: '6',
			ScanCodeInfo: { ScanType: 'qrcode', ScanResult: '1' },
			AgentID: '1',
		},
	},
	{
		name: 'pic_sysphoto event (one item)',
		xml: `<xml>
  <ToUserName><![CDATA[toUser]]></ToUserName>
  <FromUserName><![CDATA[FromUser]]></FromUserName>
  <CreateTime>1408090651</CreateTime>
  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[pic_sysphoto]]></Event>
  <EventKey><![CDATA[6]]></EventKey>
  <SendPicsInfo><Count>1</Count>
  <PicList><item><PicMd5Sum><![CDATA[1b5f7c23b5bf75682a53e7b6d163e185]]></PicMd5Sum>
  </item>
  </PicList>
  </SendPicsInfo>
  <AgentID>1</AgentID>
</xml>
`,
		expected: {
			ToUserName: 'toUser',
			FromUserName: 'FromUser',
			CreateTime: '1408090651',
			MsgType: 'event',
			Event: 'pic_sysphoto',
			EventKey: '6',
			SendPicsInfo: { Count: '1', PicList: { item: { PicMd5Sum: '1b5f7c23b5bf75682a53e7b6d163e185' } } },
			AgentID: '1',
		},
	},
	{
		name: 'pic_photo_or_album event (the doc sample with a second item added)',
		xml: `<xml>
  <ToUserName><![CDATA[toUser]]></ToUserName>
  <FromUserName><![CDATA[FromUser]]></FromUserName>
  <CreateTime>1408090816</CreateTime>
  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[pic_photo_or_album]]></Event>
  <EventKey><![CDATA[6]]></EventKey>
  <SendPicsInfo><Count>2</Count>
  <PicList><item><PicMd5Sum><![CDATA[5a75aaca956d97be686719218f275c6b]]></PicMd5Sum>
  </item>
  <item><PicMd5Sum><![CDATA[1b5f7c23b5bf75682a53e7b6d163e185]]></PicMd5Sum>
  </item>
  </PicList>
  </SendPicsInfo>
  <AgentID>1</AgentID>
</xml>
`,
		expected: {
			ToUserName: 'toUser',
			FromUserName: 'FromUser',
			CreateTime: '1408090816',
			MsgType: 'event',
			Event: 'pic_photo_or_album',
			EventKey: '6',
			SendPicsInfo: {
				Count: '2',
				PicList: {
					item: [{ PicMd5Sum: '5a75aaca956d97be686719218f275c6b' }, { PicMd5Sum: '1b5f7c23b5bf75682a53e7b6d163e185' }],
				},
			},
			AgentID: '1',
		},
	},
	{
		name: 'location_select event',
		xml: `<xml><ToUserName><![CDATA[toUser]]></ToUserName>
<FromUserName><![CDATA[FromUser]]></FromUserName>
<CreateTime>1408091189</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[location_select]]></Event>
<EventKey><![CDATA[6]]></EventKey>
<SendLocationInfo><Location_X><![CDATA[23]]></Location_X>
<Location_Y><![CDATA[113]]></Location_Y>
<Scale><![CDATA[15]]></Scale>
<Label><![CDATA[ 广州市海珠区客村艺苑路 106号]]></Label>
<Poiname><![CDATA[]]></Poiname>
</SendLocationInfo>
<AgentID>1</AgentID>
<AppType><![CDATA[wxwork]]></AppType>
</xml>
`,
		expected: {
			ToUserName: 'toUser',
			FromUserName: 'FromUser',
			CreateTime: '1408091189',
			MsgType: 'event',
			Event: 'location_select',
			EventKey: '6',
			SendLocationInfo: {
				Location_X: '23',
				Location_Y: '113',
				Scale: '15',
				Label: ' 广州市海珠区客村艺苑路 106号',
				Poiname: '',
			},
			AgentID: '1',
			AppType: 'wxwork',
		},
	},
	{
		name: 'open_approval_change event (deepest sample)',
		xml: `<xml>
 <ToUserName><![CDATA[wwddddccc7775555aaa]]></ToUserName>
 <FromUserName><![CDATA[sys]]></FromUserName>
 <CreateTime>1527838022</CreateTime>
 <MsgType><![CDATA[event]]></MsgType>
 <Event><![CDATA[open_approval_change]]></Event>
 <AgentID>1</AgentID>
 <ApprovalInfo>
 <ThirdNo><![CDATA[201806010001]]></ThirdNo>
 <OpenSpName><![CDATA[付款]]></OpenSpName>
 <OpenSpStatus>1</OpenSpStatus>
 <ApprovalNodes>
 <ApprovalNode>
 <NodeStatus>1</NodeStatus>
 <Items>
 <Item>
 <ItemName><![CDATA[xiaohong]]></ItemName>
 <ItemSpeech><![CDATA[]]></ItemSpeech>
 <ItemOpTime>0</ItemOpTime>
 </Item>
 </Items>
 </ApprovalNode>
 </ApprovalNodes>
 <approverstep>0</approverstep>
 </ApprovalInfo>
</xml>
`,
		expected: {
			ToUserName: 'wwddddccc7775555aaa',
			FromUserName: 'sys',
			CreateTime: '1527838022',
			MsgType: 'event',
			Event: 'open_approval_change',
			AgentID: '1',
			ApprovalInfo: {
				ThirdNo: '201806010001',
				OpenSpName: '付款',
				OpenSpStatus: '1',
				ApprovalNodes: {
					ApprovalNode: {
						NodeStatus: '1',
						Items: { Item: { ItemName: 'xiaohong', ItemSpeech: '', ItemOpTime: '0' } },
					},
				},
				approverstep: '0',
			},
		},
	},
	{
		name: '微信客服 kf_msg_or_event',
		xml: `<xml>
   <ToUserName><![CDATA[ww12345678910]]></ToUserName>
   <CreateTime>1348831860</CreateTime>
   <MsgType><![CDATA[event]]></MsgType>
   <Event><![CDATA[kf_msg_or_event]]></Event>
   <Token><![CDATA[ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR]]></Token>
   <OpenKfId><![CDATA[wkxxxxxxx]]></OpenKfId>
</xml>`,
		expected: {
			ToUserName: 'ww12345678910',
			CreateTime: '1348831860',
			MsgType: 'event',
			Event: 'kf_msg_or_event',
			Token: 'ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR',
			OpenKfId: 'wkxxxxxxx',
		},
	},
	{
		name: 'the doc-90968 POST plaintext (newlines, AgentID without CDATA)',
		xml:
			'<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n<FromUserName><![CDATA[mycreate]]></FromUserName>\n' +
			'<CreateTime>1409659813</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[hello]]></Content>\n' +
			'<MsgId>4561255354251345929</MsgId>\n<AgentID>218</AgentID>\n</xml>',
		expected: {
			ToUserName: 'wx5823bf96d3bd56c7',
			FromUserName: 'mycreate',
			CreateTime: '1409659813',
			MsgType: 'text',
			Content: 'hello',
			MsgId: '4561255354251345929',
			AgentID: '218',
		},
	},
];

describe('parseXml: official WeCom payloads', () => {
	for (const sample of SAMPLES) {
		it(sample.name, () => {
			assert.deepEqual(parseXml(sample.xml), sample.expected);
		});
	}

	it('parses the POST envelope and extracts Encrypt', () => {
		const body = `<xml>
<ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wv==]]></Encrypt>
<AgentID><![CDATA[218]]></AgentID>
</xml>`;
		assert.deepEqual(extractEncrypt(body), {
			encrypted: 'RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wv==',
			toUserName: 'wx5823bf96d3bd56c7',
			agentId: '218',
		});
		// Third-party (suite) envelopes have no AgentID.
		assert.deepEqual(extractEncrypt('<xml><ToUserName><![CDATA[suite]]></ToUserName><Encrypt><![CDATA[AAAA]]></Encrypt></xml>'), {
			encrypted: 'AAAA',
			toUserName: 'suite',
		});
	});

	it('extractEncrypt refuses an envelope without exactly one non-empty Encrypt', () => {
		rejects(() => extractEncrypt('<xml><ToUserName>x</ToUserName></xml>'), 'missingParameter');
		rejects(() => extractEncrypt('<xml><Encrypt></Encrypt></xml>'), 'missingParameter');
		rejects(() => extractEncrypt('<xml><Encrypt><a>b</a></Encrypt></xml>'), 'missingParameter');
		rejects(() => extractEncrypt('<xml><Encrypt>a</Encrypt><Encrypt>b</Encrypt></xml>'), 'malformedXml');
		rejects(() => extractEncrypt(''), 'malformedXml');
		rejects(() => extractEncrypt('{"encrypt":"AAAA"}'), 'malformedXml');
	});
});

describe('parseXml: text, CDATA and entities', () => {
	it('decodes the five named entities and numeric references', () => {
		assert.deepEqual(
			parseXml('<xml><Content>a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; &#20013;&#x6587; &#x1F600;</Content></xml>').Content,
			'a <b> & "c" \'d\' 中文 😀',
		);
		assert.equal(parseXml('<xml><A>&#65;&#x41;&#0065;</A></xml>').A, 'AAA');
	});

	it('leaves CDATA content alone and joins several CDATA sections and text', () => {
		assert.equal(parseXml('<xml><A><![CDATA[&lt;b&gt;]]></A></xml>').A, '&lt;b&gt;');
		assert.equal(parseXml('<xml><A><![CDATA[x]]]]><![CDATA[>y]]></A></xml>').A, 'x]]>y');
		assert.equal(parseXml('<xml><A>one <![CDATA[<two>]]> &amp; <![CDATA[three]]></A></xml>').A, 'one <two> & three');
		assert.equal(parseXml('<xml><A><![CDATA[]]></A></xml>').A, '');
		assert.equal(parseXml('<xml><A><![CDATA[a]b]]c]]]></A></xml>').A, 'a]b]]c]');
	});

	it('keeps a leaf exactly, whitespace included, and ignores whitespace between elements', () => {
		assert.deepEqual(parseXml('<xml>\r\n\t<A>  a b \n</A>\n  <B>\n<![CDATA[x]]>\n</B> </xml>'), { A: '  a b \n', B: '\nx\n' });
		assert.deepEqual(parseXml('<xml><A> </A></xml>'), { A: ' ' });
	});

	it('turns every kind of empty element into an empty string', () => {
		assert.deepEqual(parseXml('<xml><A></A><B/><C /><D><![CDATA[]]></D></xml>'), { A: '', B: '', C: '', D: '' });
	});

	it('keeps 64-bit MsgId and other numbers as the exact strings sent', () => {
		const parsed = parseXml('<xml><MsgId>18446744073709551615</MsgId><CreateTime>0012</CreateTime><X>1e3</X></xml>');
		assert.deepEqual(parsed, { MsgId: '18446744073709551615', CreateTime: '0012', X: '1e3' });
	});

	it('keeps tag names exactly, including case, underscores, dots, dashes and non-ASCII', () => {
		assert.deepEqual(parseXml('<xml><agentID>1</agentID><AgentID>2</AgentID><Location_X>3</Location_X><a.b-c>4</a.b-c><名字>5</名字></xml>'), {
			agentID: '1',
			AgentID: '2',
			Location_X: '3',
			'a.b-c': '4',
			名字: '5',
		});
	});

	it('turns repeated siblings into arrays in document order, also when not adjacent', () => {
		assert.deepEqual(parseXml('<xml><item>1</item><other>x</other><item>2</item><item><a>3</a></item></xml>'), {
			item: ['1', '2', { a: '3' }],
			other: 'x',
		});
	});

	it('ignores attributes, even ones holding > and quotes', () => {
		assert.deepEqual(parseXml(`<xml version="1" a='x>y' b = "it's"><A id="1">v</A><B c="d"/></xml>`), { A: 'v', B: '' });
	});

	it('allows a BOM, the XML declaration, comments and processing instructions', () => {
		const xml = '\ufeff<?xml version="1.0" encoding="UTF-8"?>\n<!-- head -->\n<xml><!-- inside --><A>a<!-- mid -->b</A><?pi data?></xml>\n<!-- tail -->\n';
		assert.deepEqual(parseXml(xml), { A: 'ab' });
	});

	it('accepts any root name and an empty root', () => {
		assert.deepEqual(parseXml('<root><A>1</A></root>'), { A: '1' });
		assert.deepEqual(parseXml('<xml></xml>'), {});
		assert.deepEqual(parseXml('<xml/>'), {});
		assert.deepEqual(parseXml('<xml>\n  </xml>'), {});
	});

	it('makes a __proto__ tag an own property and pollutes nothing', () => {
		const parsed = parseXml('<xml><__proto__><polluted>yes</polluted></__proto__><constructor>c</constructor><__proto__>2</__proto__></xml>');
		assert.ok(Object.prototype.hasOwnProperty.call(parsed, '__proto__'));
		assert.deepEqual(Object.getOwnPropertyDescriptor(parsed, '__proto__')?.value, [{ polluted: 'yes' }, '2']);
		assert.equal(parsed.constructor, 'c');
		assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
		assert.equal(({} as Record<string, unknown>).polluted, undefined);
	});
});

describe('parseXml: refusals', () => {
	it('refuses DOCTYPE and ENTITY declarations (XXE, entity expansion)', () => {
		const attacks = [
			'<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Content>&xxe;</Content></xml>',
			'<!DOCTYPE xml><xml/>',
			'<!doctype xml><xml/>',
			'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><xml><A>&lol2;</A></xml>',
			'<xml><!ENTITY x "y"><A>1</A></xml>',
			'<xml><A><!ELEMENT a ANY></A></xml>',
			'<xml><A>&xxe;</A></xml>',
			'<xml><A>&#x0;</A></xml>',
			'<xml><A>&#xD800;</A></xml>',
			'<xml><A>&#1114112;</A></xml>',
			'<xml><A>&#X41;</A></xml>',
			'<xml><A>&#;</A></xml>',
			'<xml><A>&;</A></xml>',
		];
		for (const xml of attacks) {
			const error = rejects(() => parseXml(xml), 'malformedXml');
			assert.doesNotMatch(error.message, /root:|passwd/);
		}
	});

	it('refuses mismatched, unclosed and stray tags', () => {
		for (const xml of [
			'<xml><A>1</B></xml>',
			'<xml><A>1</A>',
			'<xml><A>1</xml>',
			'<xml><A><B>1</A></B></xml>',
			'<xml>',
			'</xml>',
			'<xml></xml></xml>',
			'<xml><A>1</A ',
			'<xml><A',
			'<xml><A/',
			'<xml><A>1</ A></xml>',
			'<xml><A x></A></xml>',
			'<xml><A x=1></A></xml>',
			'<xml><A x="1></A></xml>',
			'<xml><A x="<"></A></xml>',
			'<xml><A x="1"y="2"></A></xml>',
			'<xml></A b></xml>',
			'<xml>< A>1</A></xml>',
			'<xml><1A>1</1A></xml>',
			'<xml><A>1 < 2</A></xml>',
			'<xml><A>a & b</A></xml>',
			'<xml><A>&amp</A></xml>',
			'<xml><A>&verylongentityname;</A></xml>',
			'<xml><A><![CDATA[open</A></xml>',
			'<xml><!-- open </xml>',
			'<xml><?pi open</xml>',
			'<xml><? ?></xml>',
			'<xml><A>1</A><?xml version="1.0"?></xml>',
			' <?xml version="1.0"?><xml/>',
		]) {
			rejects(() => parseXml(xml), 'malformedXml');
		}
	});

	it('refuses text or CDATA outside the root, a second root, no root, and mixed content', () => {
		for (const xml of [
			'',
			'   ',
			'<!-- only a comment -->',
			'hello',
			'x<xml/>',
			'<xml/>x',
			'<xml></xml>tail',
			'<![CDATA[x]]><xml/>',
			'<xml/><xml/>',
			'<xml></xml><other/>',
			'<xml>text</xml>',
			'<xml><A>text<B>1</B></A></xml>',
			'<xml><A><B>1</B>text</A></xml>',
			'<xml><A><B>1</B><![CDATA[x]]></A></xml>',
		]) {
			rejects(() => parseXml(xml), 'malformedXml');
		}
	});

	it('refuses nesting beyond maxDepth (default 32)', () => {
		const nest = (depth: number) => '<a>'.repeat(depth) + 'x' + '</a>'.repeat(depth);
		assert.doesNotThrow(() => parseXml(nest(32)));
		rejects(() => parseXml(nest(33)), 'malformedXml');
		assert.doesNotThrow(() => parseXml(nest(4), { maxDepth: 4 }));
		rejects(() => parseXml(nest(5), { maxDepth: 4 }), 'malformedXml');
		rejects(() => parseXml('<a><b><c/></b></a>', { maxDepth: 2 }), 'malformedXml');
	});

	it('refuses bodies over maxBytes (default 1 MiB), counting UTF-8 bytes', () => {
		const big = '<xml><A>' + 'x'.repeat(1024 * 1024) + '</A></xml>';
		rejects(() => parseXml(big), 'bodyTooLarge');
		const chinese = '<xml><A>' + '中'.repeat(300) + '</A></xml>'; // 918 bytes, 318 characters
		assert.doesNotThrow(() => parseXml(chinese, { maxBytes: 918 }));
		rejects(() => parseXml(chinese, { maxBytes: 917 }), 'bodyTooLarge');
	});

	it('refuses what is not a string', () => {
		rejects(() => parseXml(undefined as unknown as string), 'malformedXml');
		rejects(() => parseXml(Buffer.from('<xml/>') as unknown as string), 'malformedXml');
	});
});

describe('parseXml: linear time on hostile input', () => {
	const cases: Array<[string, string]> = [
		['many unmatched ampersands', '<xml><A>' + '&'.repeat(900_000) + '</A></xml>'],
		['ampersands without semicolons', '<xml><A>' + '&amp'.repeat(200_000) + '</A></xml>'],
		['many open comments', '<xml>' + '<!--'.repeat(200_000)],
		['many open CDATA sections', '<xml><A>' + '<![CDATA['.repeat(100_000)],
		['many open tags', '<xml>' + '<a '.repeat(300_000)],
		['many broken attributes', '<xml><A' + ' b="'.repeat(200_000)],
		['many processing instructions', '<xml>' + '<?'.repeat(400_000)],
		['deep nesting', '<a>'.repeat(300_000)],
		['valid: 200 000 empty siblings', '<xml>' + '<a/>'.repeat(200_000) + '</xml>'],
		['valid: 40 000 entity-laden leaves', '<xml>' + '<a>&lt;&#x41;&amp;</a>'.repeat(40_000) + '</xml>'],
	];
	// A guard, not a measure of speed: each parse runs in a worker thread, ended after HANG_MS. These take
	// milliseconds; a scan that went quadratic again would take minutes to hours on them, and fails here
	// instead of hanging the suite. A bound near the real time would fail on a busy machine.
	const HANG_MS = 30_000;
	const WORKER = `
		const { parentPort, workerData } = require('node:worker_threads');
		const { parseXml } = require(workerData.module);
		try { parseXml(workerData.xml); parentPort.postMessage('parsed'); }
		catch (error) { parentPort.postMessage(error.name === 'WeComCallbackError' ? 'refused' : String(error)); }`;
	const parseInWorker = async (xml: string): Promise<string> => {
		const module = require.resolve('../../nodes/WeCom/callback/xml');
		const worker = new Worker(WORKER, { eval: true, workerData: { xml, module } });
		const timer = setTimeout(() => void worker.terminate(), HANG_MS);
		try {
			return await new Promise<string>((resolve, reject) => {
				worker.once('message', resolve);
				worker.once('error', reject);
				worker.once('exit', () => resolve(`no answer within ${HANG_MS / 1000} s`));
			});
		} finally {
			clearTimeout(timer);
			await worker.terminate();
		}
	};
	for (const [name, xml] of cases) {
		it(name, async () => {
			const outcome = await parseInWorker(xml);
			assert.ok(outcome === 'parsed' || outcome === 'refused', `${name} (${xml.length} characters): ${outcome}`);
		});
	}

	it('parses a large valid document into an array', () => {
		const parsed = parseXml('<xml>' + '<a/>'.repeat(200_000) + '</xml>');
		assert.equal((parsed.a as string[]).length, 200_000);
	});
});

describe('buildXml', () => {
	it('writes strings as CDATA and numbers as plain text', () => {
		assert.equal(
			buildXml({ ToUserName: 'mycreate', FromUserName: 'wx5823bf96d3bd56c7', CreateTime: 1409659813, MsgType: 'text', Content: '你好' }),
			'<xml><ToUserName><![CDATA[mycreate]]></ToUserName><FromUserName><![CDATA[wx5823bf96d3bd56c7]]></FromUserName>' +
				'<CreateTime>1409659813</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content></xml>',
		);
	});

	it('splits ]]> across CDATA sections so it survives a round trip', () => {
		assert.equal(toCdata('a]]>b'), '<![CDATA[a]]]]><![CDATA[>b]]>');
		assert.equal(toCdata(']]>]]>'), '<![CDATA[]]]]><![CDATA[>]]]]><![CDATA[>]]>');
		for (const text of ['a]]>b', ']]>', ']]>]]>', ']]]>>', '<![CDATA[x]]>', '', ']', ']]', '>']) {
			assert.equal(parseXml(buildXml({ A: text })).A, text);
		}
	});

	it('writes nested objects and arrays, skips undefined and writes null as empty', () => {
		const xml = buildXml({
			MsgType: 'news',
			ArticleCount: 2,
			Articles: { item: [{ Title: 't1', Url: 'u1' }, { Title: 't2', Url: 'u2' }] },
			Skipped: undefined,
			Empty: null,
			Big: 4561255354251345929n,
			Flag: true,
		});
		assert.equal(
			xml,
			'<xml><MsgType><![CDATA[news]]></MsgType><ArticleCount>2</ArticleCount><Articles>' +
				'<item><Title><![CDATA[t1]]></Title><Url><![CDATA[u1]]></Url></item>' +
				'<item><Title><![CDATA[t2]]></Title><Url><![CDATA[u2]]></Url></item></Articles>' +
				'<Empty></Empty><Big>4561255354251345929</Big><Flag>true</Flag></xml>',
		);
		assert.equal(buildXml({}, 'root'), '<root></root>');
	});

	it('round-trips every official sample', () => {
		for (const sample of SAMPLES) {
			assert.deepEqual(parseXml(buildXml(sample.expected)), sample.expected, sample.name);
		}
	});

	it('refuses names and values that cannot be written', () => {
		rejects(() => buildXml({ 'a b': 'x' }), 'malformedXml');
		rejects(() => buildXml({ '<a>': 'x' }), 'malformedXml');
		rejects(() => buildXml({ '': 'x' }), 'malformedXml');
		rejects(() => buildXml({ a: 'x' }, 'x y'), 'malformedXml');
		rejects(() => buildXml({ a: Number.NaN }), 'malformedXml');
		rejects(() => buildXml({ a: Number.POSITIVE_INFINITY }), 'malformedXml');
		rejects(() => buildXml({ a: [['x']] }), 'malformedXml');
		const cyclic: Record<string, unknown> = {};
		cyclic.self = cyclic;
		rejects(() => buildXml(cyclic as never), 'malformedXml');
	});
});

describe('parseXml: seeded fuzz', () => {
	const FRAGMENTS = [
		'<', '>', '/', '!', '?', '[', ']', '&', ';', '#', 'x', '"', "'", '=', ' ', '\n', '-', 'A', '中', '\ufeff',
		'<![CDATA[', ']]>', '<!--', '-->', '<?xml ?>', '<!DOCTYPE x>', '&amp;', '&#x41;', '&#65;', '&lt', '</', '/>',
		'<xml>', '</xml>', '<item>', '</item>', '<__proto__>', ' a="b"', '\u0000', '\ud800',
	];

	it('every mutation either parses or throws WeComCallbackError', () => {
		const seed = 20240611;
		const random = seeded(seed);
		const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
		let parsed = 0;
		let refused = 0;
		const iterations = 5000;
		for (let n = 0; n < iterations; n++) {
			let xml = pick(SAMPLES).xml;
			const edits = 1 + Math.floor(random() * 4);
			for (let e = 0; e < edits; e++) {
				const at = Math.floor(random() * (xml.length + 1));
				const len = Math.floor(random() * 12);
				switch (Math.floor(random() * 6)) {
					case 0:
						xml = xml.slice(0, at) + xml.slice(at + len);
						break;
					case 1:
						xml = xml.slice(0, at) + pick(FRAGMENTS) + xml.slice(at);
						break;
					case 2:
						xml = xml.slice(0, at) + pick(FRAGMENTS) + xml.slice(at + 1);
						break;
					case 3:
						xml = xml.slice(0, at) + xml.slice(at, at + len * 4) + xml.slice(at);
						break;
					case 4:
						xml = xml.slice(0, at);
						break;
					default: {
						const other = Math.floor(random() * xml.length);
						xml = xml.slice(0, at) + xml.slice(other, other + len) + xml.slice(at + len);
					}
				}
			}
			try {
				const result = parseXml(xml);
				assert.equal(typeof result, 'object');
				parsed++;
			} catch (error) {
				if (!(error instanceof WeComCallbackError)) {
					assert.fail(`seed ${seed}, iteration ${n}: ${String(error)} for ${JSON.stringify(xml)}`);
				}
				refused++;
			}
		}
		assert.equal(parsed + refused, iterations);
		assert.ok(parsed > 100 && refused > 100, `parsed ${parsed}, refused ${refused}`);
	});
});
