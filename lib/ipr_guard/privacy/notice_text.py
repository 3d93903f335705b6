"""The phrases of the privacy notice, in English and Simplified Chinese (`ipr_guard.privacy.notice`).

Only wording lives here; every fact (fields, tables, windows, grants) is filled in by `notice.py` from
the schema and the configuration. Both languages have exactly the same keys, and a phrase takes the
same `{placeholders}` in both, so the two notices always have the same structure.

English is written for a reader without technical background: short sentences, and none of the terms
the readability test forbids (`tests/unit/test_privacy_notice.py`).
"""
from __future__ import annotations

LANGUAGES = ("en", "zh")
# The value of the HTML `lang` attribute of each notice.
HTML_LANG = {"en": "en", "zh": "zh-Hans"}

PERSONS = {
    "en": {
        "merchant": "merchants (people and companies who run a store)",
        "buyer": "buyers",
        "reporter": "people who report listings (rights holders and consumers)",
        "reviewer": "reviewers (marketplace staff who check flagged stores)",
    },
    "zh": {
        "merchant": "商家（经营店铺的个人和公司）",
        "buyer": "买家",
        "reporter": "举报商品的人（权利人和消费者）",
        "reviewer": "审核人员（核查被标记店铺的平台员工）",
    },
}

# Plain labels of personal fields, keyed by the field's column name.
FIELDS = {
    "en": {
        "legal_name": "legal name",
        "contact_email": "contact email address",
        "contact_phone": "contact phone number",
        "id_document_number": "identity document number",
        "bank_account": "bank account for payouts",
        "buyer_id": "buyer account number on each order",
        "reporter_id": "account number on each report you file",
        "subject_id": "account number on your privacy requests",
        "reviewer": "name as the reviewer of a decision",
        "note": "note written with a decision",
    },
    "zh": {
        "legal_name": "店铺经营者的法定名称",
        "contact_email": "联系邮箱",
        "contact_phone": "联系电话",
        "id_document_number": "身份证件号码",
        "bank_account": "结算银行账户",
        "buyer_id": "每笔订单上的买家账号",
        "reporter_id": "您提交的每份举报上的账号",
        "subject_id": "您的隐私请求上的账号",
        "reviewer": "您作为审核人的姓名",
        "note": "您随审核决定填写的备注",
    },
}

# Plain labels of the tables that hold personal data, keyed by table name.
TABLES = {
    "en": {
        "merchants": "store records",
        "orders": "orders",
        "complaints": "reports and complaints about listings",
        "privacy_requests": "privacy requests",
        "review_decisions": "reviewers' decisions",
        "records": "rejected lines",
        "closure_candidates": "the daily list of flagged stores",
        "listing_risk": "the daily check of new listings",
        "enforcement_kpis": "the daily enforcement figures",
        "merchant_features": "the daily store scores",
    },
    "zh": {
        "merchants": "店铺资料",
        "orders": "订单",
        "complaints": "针对商品的举报和投诉",
        "privacy_requests": "隐私请求",
        "review_decisions": "审核决定",
        "records": "被拒收的数据行",
        "closure_candidates": "每日被标记店铺名单",
        "listing_risk": "每日新商品检查",
        "enforcement_kpis": "每日执法统计",
        "merchant_features": "每日店铺评分",
    },
}

# Where a copy is kept, keyed by lakehouse layer.
LAYERS = {
    "en": {
        "bronze": "the copy as delivered",
        "silver": "the current copy",
        "quarantine": "the store of rejected lines, kept for checking",
        "meta": "the system's own records",
        "gold": "the published results",
    },
    "zh": {
        "bronze": "原始接收副本",
        "silver": "当前副本",
        "quarantine": "留存待查的被拒收数据",
        "meta": "系统自身记录",
        "gold": "发布结果",
    },
}

FORMS = {
    "en": {
        "code": "a keyed code, never the value itself",
        "text": "the text as written, cut to {note_max_chars} characters",
    },
    "zh": {
        "code": "密钥编码（从不保存原值）",
        "text": "原文（最多保留 {note_max_chars} 个字符）",
    },
}

PURPOSES = {
    "en": {
        "identity_links": "finding stores that share these details with a store closed for breaking "
                          "intellectual property rules",
        "ipr_enforcement": "finding stores that sell fakes or break intellectual property rules",
        "kpis": "counting enforcement results",
        "model_training": "training the model that scores stores",
        "store_record": "keeping the store record complete (not used to score stores)",
        "privacy_requests": "carrying out your privacy requests",
        "review_record": "recording decisions and keeping a rejected store off the list for "
                         "{suppress_days} days",
        "quality_check": "checking and fixing deliveries that broke the data rules",
    },
    "zh": {
        "identity_links": "发现与因违反知识产权规则而被关闭的店铺共用这些信息的店铺",
        "ipr_enforcement": "发现销售假货或违反知识产权规则的店铺",
        "kpis": "统计执法成效",
        "model_training": "训练为店铺评分的模型",
        "store_record": "保持店铺资料完整（不用于店铺评分）",
        "privacy_requests": "执行您的隐私请求",
        "review_record": "记录审核决定，并让被驳回的店铺在 {suppress_days} 天内不再列入名单",
        "quality_check": "检查和修复不符合数据规则的交付数据",
    },
}

# Columns an affiliate may be granted, keyed by column name.
COLUMNS = {
    "en": {
        "run_date": "the date of the list",
        "kpi_date": "the day counted",
        "merchant_id": "the store number",
        "store_name": "the store name",
        "listing_id": "the listing number",
        "brand_id": "the brand number",
        "rank": "the store's place on the list",
        "risk_score": "the risk score",
        "risk_band": "the risk level",
        "recommended_action": "the suggested action",
        "reasons": "the reasons, in plain words",
        "stores_closed": "the number of stores closed",
        "proactive_takedowns": "the number of listings removed before any report",
        "proactive_before_first_sale": "the number of those removed before a first sale",
        "proactive_before_first_sale_share": "the share of those removed before a first sale",
        "notice_requests": "the number of removal requests from rights holders",
        "notice_processed_within_24h": "the number of those handled within 24 hours",
        "notice_processed_within_24h_share": "the share of those handled within 24 hours",
        "price_ratio": "the price compared with the brand's usual price",
        "keyword_hits": "the suspicious words found in the listing",
    },
    "zh": {
        "run_date": "名单日期",
        "kpi_date": "统计日期",
        "merchant_id": "店铺编号",
        "store_name": "店铺名称",
        "listing_id": "商品编号",
        "brand_id": "品牌编号",
        "rank": "店铺在名单中的排名",
        "risk_score": "风险评分",
        "risk_band": "风险等级",
        "recommended_action": "建议措施",
        "reasons": "以通俗语言写明的理由",
        "stores_closed": "被关闭的店铺数",
        "proactive_takedowns": "在收到举报前主动下架的商品数",
        "proactive_before_first_sale": "其中在首次售出前下架的商品数",
        "proactive_before_first_sale_share": "其中在首次售出前下架的比例",
        "notice_requests": "权利人提交的下架请求数",
        "notice_processed_within_24h": "其中在 24 小时内处理的请求数",
        "notice_processed_within_24h_share": "其中在 24 小时内处理的比例",
        "price_ratio": "价格与品牌常规价格之比",
        "keyword_hits": "商品中发现的可疑词语",
    },
}

# Sentences and headings. A list is a run of paragraphs.
TEXT = {
    "en": {
        "title": "How IPR Guard uses personal data",
        "intro": [
            "IPR Guard is the marketplace's nightly system against fake goods and other breaches of "
            "intellectual property rights.",
            "This notice tells you which of your data it uses, what for, and what you can do about it.",
            "It is generated from the system's own data layout and settings (the {env} settings), so it "
            "says what the system really does.",
        ],
        "form_heading": "How your data is protected",
        "form": [
            "Before IPR Guard stores a personal value, it replaces it with a keyed code.",
            "A keyed code is a long string of letters and digits made from the value and a secret key.",
            "The same value always gives the same code.",
            "So the system can tell that two stores share one bank account without storing the account number.",
            "Without the secret key, nobody can work out the value from the code.",
            "The key is kept apart from the data and is never stored with it.",
            "The original values are never stored, not even in rejected lines.",
        ],
        "results": "The published results hold no personal fields. Some are worked out from them, for "
                   "example how many closed stores share a bank account with a store.",
        "person_heading": "If you are one of the {person}",
        "data_heading": "Which of your data is used",
        "data_item": "Your {label} (`{field}` in `{table}`, the {table_label}), kept as {form}. "
                     "Stored in {places}.",
        "use_heading": "What it is used for",
        "use_item": "Your {label}: {purposes}.",
        "keep_heading": "How long it is kept",
        "keep_until_erased": "We keep it until you ask for erasure. There is no other end date.",
        "keep_window": "After an erasure, older copies of the tables can still hold your data for up to "
                       "{window}. A clean-up run then deletes them.",
        "keep_no_request": "We keep it as long as IPR Guard runs.",
        "share_heading": "Who else sees what",
        "share_reviewers": "Marketplace reviewers see the daily list of flagged stores, with the reasons. "
                           "A reason may say that a store shares a phone number or bank account with a "
                           "closed store. It never shows the number itself.",
        "share_affiliate": "The {affiliate} affiliate sees {table_label} (`{table}`), with only: {columns}.",
        "share_affiliate_personal": "Among these, the {affiliate} affiliate sees your {label} (`{field}`).",
        "share_no_personal": "None of the columns an affiliate sees holds your personal data listed above.",
        "share_views": "Each affiliate gets a limited view, not a copy. Every access is logged.",
        "share_no_affiliate": "No affiliate sees any of IPR Guard's results.",
        "share_rights_holders": "IPR Guard sends no data to rights holders. A reporter's identity is never "
                                "shown to merchants, reviewers or affiliates.",
        "share_rights_holders_report": "A rights holder can get a report on its own brands. It lists the stores "
                                       "found selling fakes of them, with the store's ID and name and figures on "
                                       "those sales, takedowns, notices and test buys. It holds no personal data. "
                                       "Every report is logged. A reporter's identity is never shown to "
                                       "merchants, reviewers or affiliates.",
        "choices_heading": "Your choices",
        "how_to_ask": "To opt out or to ask for erasure, use the privacy settings of your marketplace "
                      "account. The marketplace passes your request to IPR Guard.",
        "when_applied": "A request received on a day takes effect in that day's nightly run.",
        "opt_out_heading": "Opting out of analytics",
        "opt_out": {
            "merchant": [
                "An opt-out does not stop enforcement against fakes. Your store is still scored, listed "
                "and counted.",
                "IPR Guard runs no optional analytics about merchants. So today an opt-out changes nothing "
                "here.",
            ],
            "buyer": [
                "From the day we receive your opt-out, your orders are left out of store scores, model training and the checks of "
                "new listings.",
                "They still count in the enforcement figures. An opt-out does not stop enforcement against "
                "fakes.",
            ],
            "reporter": [
                "From the day we receive your opt-out, your reports are left out of store scores, the listing rules and model "
                "training.",
                "They still count in the enforcement figures. An opt-out does not stop enforcement against "
                "fakes.",
            ],
        },
        "erasure_heading": "Asking for erasure",
        "erasure": [
            "An erasure empties your personal fields in every copy listed above.",
            "The records themselves stay, so counts such as orders and removed listings stay correct.",
            "A record that the erasure was done is kept, with no personal data in it.",
            "Records about you that arrive after the erasure keep your data. Send a new request to empty "
            "them too.",
        ],
        "erasure_fields": "An erasure empties: {fields}.",
        "erasure_gaps": "An erasure does not empty: {fields}. Ask the team that runs IPR Guard about them.",
        "no_request": "The marketplace's privacy requests do not cover reviewers. To correct or remove your "
                      "records, ask the team that runs IPR Guard.",
        "settings_heading": "Settings this notice was made from",
        "setting_window": "Erasure window: {window}.",
        "setting_suppress": "A rejected store stays off the list for {suppress_days} days.",
        "setting_note": "Reviewers' notes are cut to {note_max_chars} characters.",
        "setting_identity": "Store details compared between stores: {fields}.",
        "list_and": " and ",
        "sentence_sep": " ",
        "code": "{label} (`{code}`)",
        "list_sep": ", ",
        "purpose_sep": "; ",
        "days": "{days} days ({hours} hours)",
        "hours": "{hours} hours",
        "none": "none",
    },
    "zh": {
        "title": "IPR Guard 如何使用个人数据",
        "intro": [
            "IPR Guard 是平台每晚运行的系统，用于打击假货和其他侵犯知识产权的行为。",
            "本声明说明它使用您的哪些数据、用于什么目的，以及您可以怎样选择。",
            "本声明根据系统自身的数据结构和设置（{env} 设置）自动生成，因此与系统的实际做法一致。",
        ],
        "form_heading": "我们如何保护您的数据",
        "form": [
            "IPR Guard 在保存任何个人信息之前，都会先把它换成一个密钥编码。",
            "密钥编码是由原值和一把秘密密钥算出的一长串字母和数字。",
            "同一个原值总是得到同一个编码。",
            "因此，系统无需保存账号本身，就能发现两家店铺使用同一个银行账户。",
            "没有秘密密钥，任何人都无法从编码推算出原值。",
            "密钥与数据分开保管，从不与数据一起保存。",
            "系统从不保存原值，被拒收的数据行也不例外。",
        ],
        "results": "发布结果中不含任何个人信息字段。其中一些结果由个人信息计算得出，例如一家店铺与多少家已关闭的店铺共用银行账户。",
        "person_heading": "如果您是{person}",
        "data_heading": "使用您的哪些数据",
        "data_item": "{label}（{table_label}，`{table}` 中的 `{field}`），以{form}形式保存。存放于{places}中。",
        "use_heading": "用于什么目的",
        "use_item": "{label}：{purposes}。",
        "keep_heading": "保存多久",
        "keep_until_erased": "我们保存这些数据，直到您要求删除。除此之外没有其他截止日期。",
        "keep_window": "删除后，数据表的旧副本最多还会保留您的数据 {window}。之后清理任务会将其删除。",
        "keep_no_request": "只要 IPR Guard 在运行，我们就会保存这些数据。",
        "share_heading": "还有谁能看到什么",
        "share_reviewers": "平台审核人员会看到每日被标记店铺名单及理由。理由中可能写明某店铺与已关闭的店铺共用电话号码或银行账户。但从不显示号码本身。",
        "share_affiliate": "关联公司 {affiliate} 可以看到{table_label}（`{table}`），且只包括：{columns}。",
        "share_affiliate_personal": "其中，关联公司 {affiliate} 能看到{label}（`{field}`）。",
        "share_no_personal": "关联公司能看到的各列均不含上文列出的您的个人数据。",
        "share_views": "每家关联公司只获得受限视图，而不是副本。每次访问都有记录。",
        "share_no_affiliate": "没有任何关联公司能看到 IPR Guard 的结果。",
        "share_rights_holders": "IPR Guard 不向权利人发送任何数据。举报人的身份从不向商家、审核人员或关联公司显示。",
        "share_rights_holders_report": "权利人可以获取关于其自有品牌的报告。报告列出被认定销售其假冒商品的店铺，"
                                       "包括店铺编号和名称，以及这些销售、下架、投诉通知和测试购买的数据。"
                                       "报告不含任何个人数据。每份报告都有记录。举报人的身份从不向商家、审核人员或关联公司显示。",
        "choices_heading": "您的选择",
        "how_to_ask": "如需退出分析或要求删除，请使用您平台账户中的隐私设置。平台会把您的请求转交给 IPR Guard。",
        "when_applied": "某天收到的请求，会在当天的夜间运行中生效。",
        "opt_out_heading": "退出分析",
        "opt_out": {
            "merchant": [
                "退出分析不会停止打击假货的执法。您的店铺仍会被评分、列入名单和计入统计。",
                "IPR Guard 不对商家做任何可选的分析。因此，目前退出分析在这里不会改变任何事情。",
            ],
            "buyer": [
                "自我们收到您的退出请求之日起，您的订单不再用于店铺评分、模型训练和新商品检查。",
                "它们仍计入执法统计。退出分析不会停止打击假货的执法。",
            ],
            "reporter": [
                "自我们收到您的退出请求之日起，您的举报不再用于店铺评分、名单规则和模型训练。",
                "它们仍计入执法统计。退出分析不会停止打击假货的执法。",
            ],
        },
        "erasure_heading": "要求删除",
        "erasure": [
            "删除会清空上文列出的各个副本中您的个人信息字段。",
            "记录本身会保留，因此订单数、下架商品数等统计仍然准确。",
            "系统会保留一条已完成删除的记录，其中不含任何个人数据。",
            "删除之后才送达的有关您的记录仍会保留您的数据。如需一并清空，请再次提交删除请求。",
        ],
        "erasure_fields": "删除会清空：{fields}。",
        "erasure_gaps": "删除不会清空：{fields}。相关事宜请咨询运行 IPR Guard 的团队。",
        "no_request": "平台的隐私请求不适用于审核人员。如需更正或删除您的记录，请联系运行 IPR Guard 的团队。",
        "settings_heading": "生成本声明所依据的设置",
        "setting_window": "删除期限：{window}。",
        "setting_suppress": "被驳回的店铺在 {suppress_days} 天内不再列入名单。",
        "setting_note": "审核备注最多保留 {note_max_chars} 个字符。",
        "setting_identity": "在店铺之间比对的店铺信息：{fields}。",
        "list_and": "和",
        "sentence_sep": "",
        "code": "{label}（`{code}`）",
        "list_sep": "、",
        "purpose_sep": "；",
        "days": "{days} 天（{hours} 小时）",
        "hours": "{hours} 小时",
        "none": "无",
    },
}
