"""Every refusal a node can show, in Chinese first and English: by reason code and by detail.

A refusal carries a stable reason code and an English detail message written
where it is raised (services, SAML checks, the exchange). The pages show the
reason's explanation and the detail in both languages: the Chinese detail
comes from :data:`DETAILS`, English templates whose ``{}`` stand for the
values the message was formatted with (``{0}``, ``{1}`` in the Chinese text
when the order differs). tests/interregion/test_node_pages.py scans the
source for every refusal and fails if one has no Chinese text here.
"""

from __future__ import annotations

import re
from functools import cache

GENERIC = ("请求被拒绝", "The request was refused.")

# Reason codes people see on refusal pages, with what they mean.
REASONS: dict[str, tuple[str, str]] = {
    # Logins across regions (SAML).
    "replayed": ("该登录凭证已被使用过", "This login response has already been used."),
    "wrong-destination": (
        "该登录凭证是发给其他服务的",
        "This login response was meant for another service.",
    ),
    "wrong-recipient": (
        "该登录凭证是发给其他服务的",
        "This login response was meant for another service.",
    ),
    "wrong-audience": ("该凭证是发给其他服务的", "This message was meant for another service."),
    "wrong-acs": ("应答地址与联盟登记的不一致", "The answer address is not the registered one."),
    "expired": (
        "登录凭证已过期，请重新登录",
        "The login response has expired; please log in again.",
    ),
    "not-yet-valid": ("登录凭证的时间不正确", "The login response is not valid yet."),
    "tampered": ("登录凭证被篡改", "The login response was changed after it was signed."),
    "signature-wrapping": (
        "登录凭证结构异常（签名包装攻击）",
        "The login response was tampered with (signature wrapping).",
    ),
    "multiple-assertions": (
        "登录凭证包含多个断言",
        "The login response holds more than one assertion.",
    ),
    "no-assertion": ("登录凭证不含断言", "The login response holds no assertion."),
    "signature-invalid": ("签名不可信", "The message is not signed by a trusted key."),
    "signature-rejected": ("签名被拒绝", "The signature was refused."),
    "unsigned": ("登录凭证未签名", "The login response is not signed."),
    "key-not-valid": ("签名密钥当前无效", "The signing key is not valid now."),
    "unknown-issuer": ("签发方不是联盟成员", "The sender is not a member of the federation."),
    "registry-unavailable": ("联盟登记册暂不可用", "The federation registry is not available."),
    "in-response-to-not-pending": (
        "没有与之对应的登录请求",
        "There is no pending login request for this response.",
    ),
    "not-this-browser": (
        "该登录不是在本浏览器发起的",
        "This login was not started in this browser.",
    ),
    "login-not-found": (
        "登录已过期或不属于本浏览器",
        "This login expired or belongs to another browser.",
    ),
    "level-too-low": (
        "认证等级低于服务要求",
        "The level of assurance is lower than the service requires.",
    ),
    "level-not-available": (
        "所属地区无法以所需等级认证",
        "Your home region cannot reach the level this service needs.",
    ),
    "level-missing": ("请求未说明所需认证等级", "The request does not say which level it needs."),
    "unsupported-level": (
        "不支持所请求的认证等级",
        "The requested level of assurance is not supported.",
    ),
    "unknown-level": ("未知的认证等级", "The level of assurance is unknown."),
    "unsupported-binding": ("不支持该传输方式", "This SAML binding is not supported."),
    "unsupported-nameid": ("不支持该用户标识格式", "This identifier format is not supported."),
    "unsupported": ("不支持该请求", "This request is not supported."),
    "declined": ("您拒绝了信息共享", "You declined to share your data."),
    "idp-error": ("所属地区未能完成登录", "Your home region could not log you in."),
    "schema-invalid": ("消息格式不符合SAML规范", "The message does not follow the SAML schema."),
    "malformed": ("消息格式错误", "The message is malformed."),
    "missing-message": ("表单中没有消息", "The form carries no message."),
    "too-large": ("内容过大", "The content is too large."),
    "unknown-region": ("未知的地区", "The region is unknown."),
    "csrf": ("表单已过期或来源不明", "The form expired or came from elsewhere."),
    # Logins at home and staff accounts.
    "input-too-long": ("输入过长", "The input is too long."),
    "unknown-user": ("用户名或密码不正确", "The username or password is wrong."),
    "wrong-password": ("用户名或密码不正确", "The username or password is wrong."),
    "locked": ("账户已临时锁定", "The account is locked for a while."),
    "locked-now": (
        "尝试次数过多，账户已临时锁定",
        "Too many attempts: the account is locked for a while.",
    ),
    "no-totp": ("该账户未设置动态口令", "This account has no one-time code set up."),
    "totp-malformed": ("动态口令应为6位数字", "The one-time code has six digits."),
    "disabled": ("账户已停用", "The account is disabled."),
    "not-authenticated": ("需要登录", "You need to log in."),
    "role-not-allowed": ("无权进行此操作", "This role may not do this."),
    # Service windows, licences and consents.
    "code-not-valid": ("授权码无效", "The code is not valid."),
    "licence-not-found": ("未找到该证照", "The licence was not found."),
    "type-not-recognised": ("该证照类型未被互认", "This licence type is not mutually recognised."),
    "scenario-not-recognised": ("该使用场景未被互认", "This scenario is not mutually recognised."),
    "consent-missing": ("缺少持证人授权", "The holder's consent is missing."),
    "consent-invalid": ("持证人授权无效", "The holder's consent is not valid."),
    "consent-expired": ("持证人授权已过期", "The holder's consent has expired."),
    "consent-reused": ("持证人授权已被使用", "The holder's consent was already used."),
    "consent-wrong-holder": ("授权人不是持证人", "The consent was given by someone else."),
    "consent-wrong-requester": ("该授权是给其他地区的", "The consent was given to another region."),
    "consent-wrong-scenario": ("授权不包括此场景", "The consent does not cover this scenario."),
    "consent-not-for-licence": ("授权不包括此证照", "The consent does not name this licence."),
    "peer-timeout": ("对方节点响应超时", "The other node did not answer in time."),
    "peer-unreachable": ("无法连接对方节点", "The other node could not be reached."),
    "rate-limited": ("请求过于频繁", "Too many requests."),
    "request-hash-mismatch": ("应答与请求不符", "The answer does not match the request."),
    "refused-by-peer": ("对方节点拒绝了请求", "The other node refused the request."),
    # Cross-region cases.
    "case-not-found": ("未找到该案件", "The case was not found."),
    "unknown-case": ("未找到该案件", "The case was not found."),
    "case-exists": ("该案件已存在", "The case exists already."),
    "other-window": (
        "该案件属于其他窗口或部门",
        "The case belongs to another window or department.",
    ),
    "same-region": ("本地事项请在本地办理", "This matter is decided locally."),
    "not-a-draft": ("案件已提交", "The case has been sent already."),
    "not-editable": ("案件当前不可修改", "The case cannot be changed now."),
    "holder-mismatch": ("申请人类型不符", "The applicant is of the wrong kind."),
    "unknown-material": ("未知的材料", "The material is unknown."),
    "unknown-matter": ("未知的事项", "The matter is unknown."),
    "too-many-materials": ("材料过多", "Too many materials."),
    "duplicate-material": ("材料重复", "The material is there already."),
    "material-not-found": ("未找到该材料", "The material was not found."),
    "materials-missing": ("缺少材料", "Materials are missing."),
    "material-hash-mismatch": ("材料内容与摘要不符", "A material does not match its digest."),
    "no-identity": ("尚未核验申请人身份", "The applicant's identity is not verified yet."),
    "no-consent": ("申请人尚未签署服务授权", "The applicant has not signed the service consent."),
    "consent-not-signed": (
        "申请人尚未签署服务授权",
        "The applicant has not signed the service consent.",
    ),
    "no-licence-consent": (
        "申请人未授权核验证照",
        "The applicant gave no consent to check licences.",
    ),
    "no-licence-for-material": ("没有可替代该材料的证照", "No licence can replace this material."),
    "licence-type-mismatch": ("证照类型与材料不符", "The licence does not replace this material."),
    "no-receipt": ("该案件没有回执", "The case has no receipt."),
    "not-in-correction": ("案件不在补正阶段", "The case is not waiting for materials."),
    "nothing-added": ("未添加任何材料", "Nothing was added."),
    "not-deciding-side": ("只有审批地可以办理", "Only the deciding region may do this."),
    "invalid-transition": ("案件当前状态不允许此操作", "The case's status does not allow this."),
    "empty-correction": ("补正要求为空", "The request for materials is empty."),
    "reason-required": ("请填写理由", "A reason is required."),
    "bad-outcome": ("审批结果无效", "The outcome is not valid."),
    "matter-list-unavailable": ("事项清单暂不可用", "The list of matters is not available."),
    "sender-mismatch": ("消息由其他节点签名", "A message was signed by another node."),
    "sequence-reused": ("消息序号已使用", "The sequence number was used already."),
    "out-of-order": ("消息顺序不对", "The message arrived out of order."),
    "in-flight": ("消息正在处理", "The message is being applied."),
    "wrong-direction": ("消息发错了方向", "The message went the wrong way."),
    "not-deciding-region": ("对方不是审批地", "The sender does not decide this matter."),
    "not-accepting-region": ("对方不是受理地", "The sender did not take this case in."),
    "unknown-kind": ("未知的消息类型", "The kind of message is unknown."),
    # Uploaded scans.
    "empty": ("文件为空", "The file is empty."),
    "wrong-type": ("文件类型不被接受", "This type of file is not accepted."),
    "disguised": ("文件内容与其类型不符", "The file's content does not match its type."),
    "active-content": ("文件含有活动内容", "The file holds active content."),
    # Signatures and tokens (reasons of signing.errors, passed on by the exchange).
    "signing-error": ("签名处理失败", "Signing or verification failed."),
    "configuration-error": ("节点配置错误", "The node is misconfigured."),
    "verification-error": ("核验失败", "Verification failed."),
    "xml-rejected": ("XML被拒绝", "The XML was refused."),
    "xml-too-large": ("XML过大", "The XML is too large."),
    "xml-too-deep": ("XML嵌套过深", "The XML is nested too deeply."),
    "xml-too-many-nodes": ("XML节点过多", "The XML has too many nodes."),
    "xml-doctype-forbidden": ("不允许DOCTYPE", "A DOCTYPE is not allowed."),
    "xml-encoding-not-allowed": ("不允许该字符编码", "This character encoding is not allowed."),
    "xml-malformed": ("XML格式错误", "The XML is malformed."),
    "xml-signature-rejected": ("XML签名被拒绝", "The XML signature was refused."),
    "duplicate-id": ("XML中有重复的ID", "The XML holds duplicate IDs."),
    "signed-element-missing": ("缺少已签名的元素", "The signed element is missing."),
    "ambiguous-signed-element": ("已签名的元素不唯一", "The signed element is ambiguous."),
    "signed-element-id-invalid": ("已签名元素的ID无效", "The signed element's ID is not valid."),
    "signature-missing": ("缺少签名", "The signature is missing."),
    "multiple-signatures": ("签名不止一个", "There is more than one signature."),
    "malformed-signature": ("签名格式错误", "The signature is malformed."),
    "reference-mismatch": ("签名引用与元素不符", "The signature refers to another element."),
    "disallowed-canonicalization": ("不允许的规范化方法", "This canonicalization is not allowed."),
    "disallowed-transform": ("不允许的转换", "This transform is not allowed."),
    "disallowed-digest-algorithm": ("不允许的摘要算法", "This digest algorithm is not allowed."),
    "disallowed-signature-algorithm": (
        "不允许的签名算法",
        "This signature algorithm is not allowed.",
    ),
    "comment-in-signed-content": ("签名内容中含有注释", "The signed content holds a comment."),
    "processing-instruction-in-signed-content": (
        "签名内容中含有处理指令",
        "The signed content holds a processing instruction.",
    ),
    "mixed-content": ("签名内容结构异常", "The signed content is mixed."),
    "digest-mismatch": ("内容在签名后被修改", "The content was changed after it was signed."),
    "untrusted-key": ("签名密钥不可信", "The signing key is not trusted."),
    "unknown-key-id": ("未知的密钥标识", "The key ID is unknown."),
    "key-not-yet-valid": ("签名密钥尚未生效", "The signing key is not valid yet."),
    "key-expired": ("签名密钥已过期", "The signing key has expired."),
    "untrusted-certificate": ("证书不可信", "The certificate is not trusted."),
    "token-rejected": ("令牌被拒绝", "The token was refused."),
    "malformed-token": ("令牌格式错误", "The token is malformed."),
    "unsigned-token": ("令牌未签名", "The token is not signed."),
    "algorithm-not-allowed": ("不允许的算法", "This algorithm is not allowed."),
    "forbidden-header": ("令牌头部含有不允许的字段", "The token header holds a forbidden field."),
    "wrong-token-type": ("令牌类型不符", "The token is of the wrong type."),
    "missing-key-id": ("令牌缺少密钥标识", "The token names no key."),
    "missing-claim": ("令牌缺少必需的声明", "The token lacks a required claim."),
    "invalid-claim": ("令牌声明无效", "A claim of the token is not valid."),
    "wrong-issuer": ("令牌签发方不符", "The token comes from another issuer."),
    "token-expired": ("令牌已过期", "The token has expired."),
    "token-not-yet-valid": ("令牌尚未生效", "The token is not valid yet."),
    "issued-in-future": ("令牌签发时间在未来", "The token claims to be issued in the future."),
    "lifetime-too-long": ("令牌有效期过长", "The token is valid for too long."),
    "replayed-token": ("令牌已被使用过", "The token has been used before."),
    "replay-cache-unavailable": ("防重放记录暂不可用", "The replay cache is not available."),
    "registry-rejected": ("联盟登记册被拒绝", "The federation registry was refused."),
    "registry-malformed": ("联盟登记册格式错误", "The federation registry is malformed."),
    "wrong-federation": ("联盟登记册属于其他联盟", "The registry is of another federation."),
    "registry-rollback": (
        "联盟登记册版本回退",
        "The federation registry went back to an older version.",
    ),
    "registry-stale": ("联盟登记册已过时", "The federation registry is stale."),
}

# Words that stand in the ``{}`` of detail messages (what was checked, a level, an action).
WORDS: dict[str, str] = {
    "request": "请求",
    "response": "应答",
    "assertion": "断言",
    "presentation": "亮证令牌",
    "credential": "证照凭证",
    "message": "消息",
    "identity-provider": "身份提供方",
    "service-provider": "服务提供方",
    "low": "低",
    "substantial": "较高",
    "high": "高",
    "PDF": "PDF文件",
    "JPEG": "JPEG图片",
    "PNG": "PNG图片",
    "image": "图片",
}

# English detail templates and their Chinese text.
DETAILS: dict[str, str] = {
    # SAML messages and their checks.
    "AssertionConsumerServiceIndex is not supported": "不支持AssertionConsumerServiceIndex",
    "RelayState is longer than 80 bytes": "RelayState超过80字节",
    "answers are sent with the HTTP-POST binding": "应答只通过HTTP-POST方式发送",
    "attribute {} appears twice": "属性{}出现了两次",
    "attribute {} has the wrong name format": "属性{}的名称格式不正确",
    "bearer confirmation must not carry NotBefore": "持有者确认不得包含NotBefore",
    "encrypted assertions are not used in this federation": "本联盟不使用加密断言",
    "encrypted attributes are not used in this federation": "本联盟不使用加密属性",
    "encrypted identifiers are not used in this federation": "本联盟不使用加密标识",
    "exactly one requested level is supported": "只能请求一个认证等级",
    "expected at most one {}, found {}": "{0}最多应有一个，实际有{1}个",
    "expected exactly one {}, found {}": "{0}应恰有一个，实际有{1}个",
    "issuer or version changed under the signature": "签名下的签发方或版本被改动",
    "only bearer confirmation is accepted": "只接受持有者确认",
    "only minimum or exact level comparisons are served": "只支持“最低”或“精确”的等级比较",
    "only persistent identifiers are issued": "只签发持久标识",
    "passive authentication is not offered": "不提供被动认证",
    "the answer address is not the one the registry lists for the sender": (
        "应答地址与联盟登记册中发送方的地址不一致"
    ),
    "the assertion answers another request than the response": "断言与应答对应的请求不同",
    "the assertion carries a condition we do not understand": "断言包含无法识别的条件",
    "the assertion has expired": "断言已过期",
    "the assertion is not a child of the response": "断言不在应答之内",
    "the assertion is not valid yet": "断言尚未生效",
    "the assertion is valid for longer than this node accepts": "断言有效期超过本节点接受的上限",
    "the assertion names no audience": "断言未指明接收方",
    "the assertion was made for another service": "断言是为其他服务签发的",
    "the assertion was meant for another service": "断言是发给其他服务的",
    "the federation registry is not available": "联盟登记册暂不可用",
    "the form field {} is empty": "表单字段{}为空",
    "the home region cannot authenticate this person at the level asked for": (
        "所属地区无法以所要求的等级认证此人"
    ),
    "the home region could not log the person in": "所属地区未能完成登录",
    "the key that signed the {} is not valid now": "签署该{}的密钥当前无效",
    "the level of assurance is not one we know": "认证等级无法识别",
    "the login request was already answered": "该登录请求已得到应答",
    "the person declined to share their data": "本人拒绝共享信息",
    "the request ID is too long": "请求ID过长",
    "the request claims to be issued in the future": "请求的签发时间在未来",
    "the request does not follow the SAML schema": "请求不符合SAML规范",
    "the request does not say which level it needs": "请求未说明所需认证等级",
    "the request is too old": "请求已过期",
    "the request was meant for another node": "请求是发给其他节点的",
    "the request was sent to another home region": "请求是发往另一个所属地区的",
    "the response claims to be issued in the future": "应答的签发时间在未来",
    "the response comes from outside the federation": "应答来自联盟之外",
    "the response does not follow the SAML schema": "应答不符合SAML规范",
    "the response holds more than one assertion": "应答包含多个断言",
    "the response holds no assertion": "应答不含断言",
    "the response is too old": "应答已过期",
    "the response was meant for another service": "应答是发给其他服务的",
    "the sender is not a member of the federation": "发送方不是联盟成员",
    "the sender is not registered as a {}": "发送方未登记为{}",
    "the sender is not registered as an identity provider": "发送方未登记为身份提供方",
    "the service needs {}, the home region asserted {}": "服务要求{0}等级，所属地区认证为{1}等级",
    "the signature of the {} was refused": "{}的签名被拒绝",
    "the subject identifier is not persistent": "用户标识不是持久标识",
    "the subject identifier was made for another service": "用户标识是为其他服务生成的",
    "the {} holds copies of signed elements (signature wrapping)": (
        "{}含有已签名元素的副本（签名包装攻击）"
    ),
    "the {} is not acceptable XML": "{}不是可接受的XML",
    "the {} is not signed as required": "{}未按要求签名",
    "the {} is not signed by a key the federation registry lists for its issuer": (
        "{}的签名密钥不在联盟登记册所列的签发方密钥中"
    ),
    "the {} was changed after it was signed": "{}在签名后被修改",
    "there is no home node for this region": "该地区没有身份认证节点",
    "there is no pending login request for this response": "没有与该应答对应的待处理登录请求",
    "this is not a SAML Response": "这不是SAML应答",
    "this is not an AuthnRequest": "这不是SAML认证请求",
    "this login response has already been used": "该登录凭证已被使用过",
    "this login was started in another browser": "该登录是在其他浏览器中发起的",
    "this request has been used before": "该请求已被使用过",
    "version or issuer of the assertion is wrong": "断言的版本或签发方不正确",
    "version or issuer of the response is wrong": "应答的版本或签发方不正确",
    "required: {}": "所需等级：{}",
    "{} is empty or too long": "{}为空或过长",
    "{} is larger than {} bytes": "{0}超过{1}字节",
    "{} is missing": "缺少{}",
    "{} is not a UTC date-time": "{}不是UTC时间",
    "{} is not a single text value": "{}不是单一文本值",
    "{} is not base64": "{}不是base64编码",
    # Service windows, licences, consents and the exchange.
    "a code has twelve letters and digits": "授权码由12位字母和数字组成",
    "choose a licence": "请选择一个证照",
    "fields must be a list of field names": "fields应为字段名列表",
    "name a licence identifier, or holder and type": "请指明证照标识，或持证人和证照类型",
    "name a licence, or holder, type and issuer region": "请指明证照，或持证人、证照类型和发证地区",
    "no federation member for this region": "该地区没有联盟成员",
    "no presentation, or too large": "没有亮证令牌，或令牌过大",
    "no such licence here": "本地没有该证照",
    "not a licence identifier: {}": "不是证照标识：{}",
    "region or scenario": "地区或使用场景不正确",
    "the account no longer exists": "该账户已不存在",
    "the answer does not match the question": "应答与请求不符",
    "the answer is too large": "应答过大",
    "the assertion is about another region": "断言涉及的是其他地区",
    "the assertion lacks a subject or attributes": "断言缺少主体或属性",
    "the code is unknown, used, expired or meant for another region": (
        "授权码不存在、已使用、已过期或是给其他地区的"
    ),
    "the consent does not cover this scenario": "授权不包括此使用场景",
    "the consent does not name this licence": "授权不包括此证照",
    "the consent has expired": "授权已过期",
    "the consent is not from a federation member": "授权不是联盟成员签发的",
    "the consent is not genuine ({})": "授权不是真实的（{}）",
    "the consent was given by someone else": "授权是他人给出的",
    "the consent was given to another region": "授权是给其他地区的",
    "the consent's issuer is no home node": "授权的签发方不是身份认证节点",
    "the enclosed credential is not genuine": "所附证照凭证不是真实的",
    "the issuer is not a federation member": "签发方不是联盟成员",
    "the issuer may not issue licences": "签发方无权签发证照",
    "the message is not a JWT": "消息不是JWT",
    "the peer answered too slowly": "对方节点应答过慢",
    "the peer did not answer": "对方节点没有应答",
    "the peer did not answer in time": "对方节点未及时应答",
    "the peer refused the request": "对方节点拒绝了请求",
    "the presentation is not a JWT": "亮证令牌不是JWT",
    "the presentation was refused": "亮证令牌被拒绝",
    "the recognition list has no scenario {} for this licence type": (
        "互认清单中该证照类型没有使用场景{}"
    ),
    "the registry does not list {} as {}": "联盟登记册未将{0}登记为{1}",
    "the request carries no consent": "请求未附持证人授权",
    "the request carries no well-formed code": "请求中没有格式正确的授权码",
    "the request is too large": "请求过大",
    "the request names no licence": "请求未指明证照",
    "the request names no scenario": "请求未指明使用场景",
    "the request was refused": "请求被拒绝",
    "the requester is not a federation member": "请求方不是联盟成员",
    "the response answers another request": "应答对应的是另一个请求",
    "the response is missing or too large": "应答缺失或过大",
    "the response is not a JWT": "应答不是JWT",
    "the response was refused": "应答被拒绝",
    "the window needs {}, got {}": "窗口要求{0}等级，实际为{1}等级",
    "this consent was already used for this licence": "该授权已用于核验此证照",
    "too many requests": "请求过于频繁",
    "unknown level of assurance": "未知的认证等级",
    "{} does not recognise this licence type from {}": "{0}不互认来自{1}的该类证照",
    "{} does not serve {}": "{0}不提供{1}服务",
    # Staff.
    "a valid staff API token is required (Authorization: Bearer dst_…)": (
        "需要有效的工作人员API令牌（Authorization: Bearer dst_…）"
    ),
    "a {} may not {} (needs {})": "{0}无权{1}（需要{2}）",
    # Cross-region cases and their materials.
    "PDFs with scripts, launch actions or attachments are refused": (
        "不接受含脚本、启动动作或附件的PDF"
    ),
    "a PDF with {} pages": "PDF页数为{}，不符合要求",
    "a case with this number exists already": "该编号的案件已存在",
    "a licence must be an object": "证照应为对象",
    "a listed material is missing or too large": "所列材料缺失或过大",
    "a material may have at most {} bytes": "单个材料最多{}字节",
    "a material must be an object": "材料应为对象",
    "a material's bytes do not match its SHA-256": "材料内容与其SHA-256摘要不符",
    "a material's sha256 is not a hex digest": "材料的sha256不是十六进制摘要",
    "a message signed by another node": "消息由其他节点签名",
    "a new case is message 1, numbered by its sender": "新案件应为第1条消息，并由发送方编号",
    "a {} does not replace {}": "{0}不能替代{1}",
    "at most {} files per case": "每个案件最多{}个文件",
    "bad case number or sequence number": "案件编号或消息序号不正确",
    "cannot {} a case that is {}": "无法对状态为{1}的案件执行“{0}”",
    "declared as {} but the content is {}": "声明为{0}，但内容是{1}",
    "encrypted PDFs cannot be checked": "加密的PDF无法检查",
    "expected message {}": "应为第{}条消息",
    "licences are checked during intake or 补正": "证照只能在受理或补正时核验",
    "materials can be added to drafts and in 补正 only": "只能在草稿或补正阶段添加材料",
    "materials must be a list": "materials应为列表",
    "messages must be a list of 1..200 tokens": "messages应为1至200个令牌的列表",
    "name the materials needed or explain what is missing": "请列出所需材料或说明缺少什么",
    "no endpoint for materials": "对方没有材料接收地址",
    "no licence can replace this material": "没有可替代该材料的证照",
    "no such case here": "本地没有该案件",
    "no such material in this case": "该案件中没有此材料",
    "only PDF, JPEG and PNG scans are accepted": "只接受PDF、JPEG和PNG扫描件",
    "only sent cases have a receipt": "只有已提交的案件才有回执",
    "only the deciding region can {}": "只有审批地可以{}",
    "required materials missing: {}": "缺少必需材料：{}",
    "the PDF does not parse ({})": "PDF无法解析（{}）",
    "the PDF ends early (no %%EOF)": "PDF不完整（缺少%%EOF）",
    "the applicant has not signed the service consent": "申请人尚未签署服务授权",
    "the applicant must sign the service consent first": "申请人须先签署服务授权",
    "the applicant's home region gave no consent to check licences": "申请人所属地区未授权核验证照",
    "the case has been sent already": "案件已提交",
    "the case is not waiting for materials": "案件不在等待补正材料",
    "the file is empty": "文件为空",
    "the image has too many pixels": "图片像素过多",
    "the matter has no material {}": "该事项没有材料{}",
    "the name says {}, the content is {}": "文件名显示为{0}，内容却是{1}",
    "the outcome is approved or refused": "审批结果只能是批准或不予批准",
    "the peer refused the materials": "对方节点拒收材料",
    "the peer sent no receipt": "对方节点没有发回回执",
    "the request must list exactly the materials sent": "请求所列材料应与发送的材料一致",
    "there is no such case here": "本地没有该案件",
    "this case belongs to another window or department": "该案件属于其他窗口或部门",
    "this file is already part of the case": "该文件已在案件中",
    "this matter is for companies: verify a company representative": (
        "该事项面向企业：请核验企业代表"
    ),
    "this message is being applied": "该消息正在处理",
    "this sequence number was applied already": "该消息序号已处理",
    "this window sends cases to other regions; decide this one locally": (
        "本窗口只向其他地区发送案件，本地事项请在本地办理"
    ),
    "unknown message kind {}": "未知的消息类型{}",
    "unknown outcome": "未知的审批结果",
    "upload the requested materials first": "请先上传所需材料",
    "verify the applicant's identity first": "请先核验申请人身份",
    "the {} does not decode ({})": "{0}无法解码（{1}）",
    "{} did not take this case in": "{}不是该案件的受理地",
    "{} does not decide this case's matter": "{}不是该案件事项的审批地",
    "{} does not decide this matter": "{}不审批该事项",
    "{} is not sent to a deciding region": "{}不应发往审批地",
    "{} is not sent to an accepting region": "{}不应发往受理地",
    "{} lists no matter {}": "{0}的事项清单中没有{1}",
    "{} is not a region of the federation": "{}不是联盟中的地区",
    "no verified matter list of {}": "没有经核验的{}事项清单",
    "{} materials not received": "有{}个材料未收到",
    "{} must be a string": "{}应为字符串",
    "{} must be an integer": "{}应为整数",
    "{} must be an object": "{}应为对象",
    "不予受理 needs a reason the applicant can read": "不予受理须写明申请人能看懂的理由",
}

_CJK = re.compile(r"[\u3400-\u9fff]")


def explanation(reason: str) -> tuple[str, str]:
    """What a reason code means, in Chinese and English (a general line for unknown codes)."""
    return REASONS.get(reason, GENERIC)


@cache
def _patterns() -> list[tuple[re.Pattern[str], str]]:
    compiled = []
    for english, chinese in DETAILS.items():
        literal = [re.escape(part) for part in english.split("{}")]
        compiled.append((re.compile("(.+?)".join(literal), re.DOTALL), chinese))
    return compiled


def chinese_detail(message: str) -> str | None:
    """The Chinese text of an English detail message, or None if we have none."""
    for pattern, chinese in _patterns():
        found = pattern.fullmatch(message)
        if found:
            values = [WORDS.get(value, value) for value in found.groups()]
            return chinese.format(*values)
    return None


def detail(message: str) -> tuple[str, str]:
    """A detail message as (Chinese, English); a message already bilingual stays whole."""
    if not message or (_CJK.search(message) and " / " in message):
        return ("", message)
    chinese = chinese_detail(message)
    return (chinese or "", message)
