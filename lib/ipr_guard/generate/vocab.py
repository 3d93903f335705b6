"""Words the synthetic catalogue is made of: the brand registry, product nouns, title and text snippets.

Kept free of double quotes and backslashes except where a description exercises JSON escaping on purpose.
"""
from __future__ import annotations

# (brand_name, aliases, rights_holder, category, reference_price_cny). Aliases may be empty.
BRANDS: tuple[tuple[str, tuple[str, ...], str, str, int], ...] = (
    ("Nike", ("耐克", "NIKE"), "Nike, Inc.", "shoes", 899),
    ("Adidas", ("阿迪达斯", "adidas", "三叶草"), "adidas AG", "shoes", 799),
    ("New Balance", ("新百伦", "NB"), "New Balance Athletics, Inc.", "shoes", 699),
    ("Converse", ("匡威",), "Converse Inc.", "shoes", 499),
    ("Vans", ("范斯",), "VF Corporation", "shoes", 459),
    ("Puma", ("彪马", "PUMA"), "PUMA SE", "shoes", 599),
    ("李宁", ("Li-Ning", "LI-NING"), "李宁(中国)体育用品有限公司", "shoes", 499),
    ("安踏", ("Anta", "ANTA"), "安踏体育用品集团有限公司", "shoes", 399),
    ("Skechers", ("斯凯奇",), "Skechers USA, Inc.", "shoes", 459),
    ("Asics", ("亚瑟士", "ASICS"), "ASICS Corporation", "shoes", 799),
    ("Balenciaga", ("巴黎世家",), "Balenciaga SAS", "shoes", 6900),
    ("Uniqlo", ("优衣库",), "Fast Retailing Co., Ltd.", "apparel", 199),
    ("Zara", (), "Industria de Diseño Textil, S.A.", "apparel", 299),
    ("The North Face", ("北面", "TNF"), "VF Corporation", "apparel", 1599),
    ("Canada Goose", ("加拿大鹅",), "Canada Goose Inc.", "apparel", 9800),
    ("Moncler", ("盟可睐",), "Moncler S.p.A.", "apparel", 12800),
    ("Levi's", ("李维斯",), "Levi Strauss & Co.", "apparel", 599),
    ("Under Armour", ("安德玛", "UA"), "Under Armour, Inc.", "apparel", 399),
    ("Burberry", ("博柏利",), "Burberry Limited", "apparel", 8900),
    ("Louis Vuitton", ("路易威登", "LV"), "Louis Vuitton Malletier", "bags", 16500),
    ("Gucci", ("古驰", "GUCCI"), "Guccio Gucci S.p.A.", "bags", 14800),
    ("Chanel", ("香奈儿", "CHANEL"), "Chanel SAS", "bags", 19800),
    ("Hermès", ("爱马仕", "Hermes"), "Hermès International", "bags", 19900),
    ("Prada", ("普拉达",), "Prada S.p.A.", "bags", 13500),
    ("Coach", ("蔻驰",), "Tapestry, Inc.", "bags", 2800),
    ("Michael Kors", ("迈克高仕", "MK"), "Capri Holdings Limited", "bags", 2200),
    ("Dior", ("迪奥",), "Christian Dior Couture", "bags", 18000),
    ("Fendi", ("芬迪",), "Fendi S.r.l.", "bags", 15000),
    ("Rolex", ("劳力士",), "Rolex SA", "watches", 19800),
    ("Omega", ("欧米茄",), "Omega SA", "watches", 18800),
    ("Tissot", ("天梭",), "Tissot SA", "watches", 3500),
    ("Casio", ("卡西欧", "G-SHOCK"), "Casio Computer Co., Ltd.", "watches", 899),
    ("Cartier", ("卡地亚",), "Cartier International", "jewelry", 16800),
    ("Tiffany & Co.", ("蒂芙尼", "Tiffany"), "Tiffany and Company", "jewelry", 6500),
    ("Pandora", ("潘多拉",), "Pandora A/S", "jewelry", 599),
    ("Swarovski", ("施华洛世奇",), "Swarovski AG", "jewelry", 1290),
    ("周大福", ("Chow Tai Fook", "CTF"), "周大福珠宝金行有限公司", "jewelry", 3500),
    ("Apple", ("苹果", "iPhone", "AirPods"), "Apple Inc.", "electronics", 5999),
    ("华为", ("Huawei", "HUAWEI"), "华为技术有限公司", "electronics", 4999),
    ("小米", ("Xiaomi", "MI"), "小米科技有限责任公司", "electronics", 1999),
    ("Samsung", ("三星",), "Samsung Electronics Co., Ltd.", "electronics", 4999),
    ("Sony", ("索尼",), "Sony Group Corporation", "electronics", 2499),
    ("Dyson", ("戴森",), "Dyson Technology Limited", "electronics", 3490),
    ("大疆", ("DJI",), "深圳市大疆创新科技有限公司", "electronics", 4788),
    ("Bose", (), "Bose Corporation", "electronics", 1999),
    ("Logitech", ("罗技",), "Logitech International S.A.", "electronics", 399),
    ("Estée Lauder", ("雅诗兰黛", "Estee Lauder"), "The Estée Lauder Companies Inc.", "cosmetics", 680),
    ("Lancôme", ("兰蔻", "Lancome"), "L'Oréal S.A.", "cosmetics", 760),
    ("SK-II", (), "The Procter & Gamble Company", "cosmetics", 1540),
    ("Shiseido", ("资生堂",), "Shiseido Company, Limited", "cosmetics", 590),
    ("La Mer", ("海蓝之谜",), "The Estée Lauder Companies Inc.", "cosmetics", 2650),
    ("YSL Beauty", ("圣罗兰", "YSL", "Yves Saint Laurent"), "L'Oréal S.A.", "cosmetics", 380),
    ("Kiehl's", ("科颜氏",), "L'Oréal S.A.", "cosmetics", 420),
    ("MAC", ("魅可",), "The Estée Lauder Companies Inc.", "cosmetics", 230),
    ("Ray-Ban", ("雷朋", "RayBan"), "EssilorLuxottica", "eyewear", 1390),
    ("Gentle Monster", (), "IICOMBINED Co., Ltd.", "eyewear", 2300),
    ("Lego", ("乐高", "LEGO"), "LEGO A/S", "toys", 899),
    ("泡泡玛特", ("Pop Mart", "POP MART", "Labubu"), "北京泡泡玛特文化创意有限公司", "toys", 129),
    ("茅台", ("Moutai", "飞天茅台"), "贵州茅台酒股份有限公司", "liquor", 2999),
    ("Zippo", (), "Zippo Manufacturing Company", "accessories", 399),
)

# Product nouns by category; unbranded listings also use "home".
PRODUCTS: dict[str, tuple[str, ...]] = {
    "shoes": ("运动鞋", "跑步鞋", "篮球鞋", "板鞋", "休闲鞋", "sneakers", "running shoes", "老爹鞋", "帆布鞋"),
    "apparel": ("卫衣", "T恤", "羽绒服", "冲锋衣", "夹克", "hoodie", "牛仔裤", "polo衫", "down jacket"),
    "bags": ("手提包", "单肩包", "斜挎包", "钱包", "双肩包", "tote bag", "handbag", "腰包", "wallet"),
    "watches": ("机械表", "手表", "腕表", "watch", "石英表", "潜水表", "automatic watch"),
    "jewelry": ("项链", "手链", "戒指", "耳钉", "吊坠", "necklace", "bracelet"),
    "electronics": ("蓝牙耳机", "充电器", "平板", "手机壳", "智能手表", "earbuds", "数据线", "音箱", "吹风机"),
    "cosmetics": ("精华液", "面霜", "口红", "粉底液", "香水", "眼霜", "lipstick", "serum", "套装礼盒"),
    "eyewear": ("太阳镜", "墨镜", "眼镜框", "sunglasses", "近视镜架"),
    "toys": ("积木", "盲盒", "手办", "拼装玩具", "building blocks", "figure", "游戏卡带"),
    "liquor": ("白酒", "53度 500ml", "酱香型白酒", "礼盒装", "baijiu"),
    "accessories": ("打火机", "皮带", "围巾", "帽子", "belt", "scarf", "cap"),
    "home": ("收纳盒", "抱枕", "保温杯", "台灯", "毛巾", "mug", "storage box", "香薰"),
}
CATEGORIES = tuple(PRODUCTS)
# Typical price of an unbranded item per category, CNY.
UNBRANDED_PRICE = {"shoes": 129, "apparel": 89, "bags": 99, "watches": 159, "jewelry": 59, "electronics": 79,
                   "cosmetics": 69, "eyewear": 49, "toys": 59, "liquor": 129, "accessories": 39, "home": 35}
UNBRANDED_CATEGORY_WEIGHT = {"shoes": 8, "apparel": 14, "bags": 6, "watches": 2, "jewelry": 5, "electronics": 12,
                             "cosmetics": 7, "eyewear": 3, "toys": 6, "liquor": 2, "accessories": 8, "home": 27}

MODIFIERS = ("2026新款", "男女同款", "官方", "正品", "包邮", "限量款", "经典款", "情侣款", "爆款", "🔥热卖",
             "new", "秋冬", "送礼", "学生", "复古", "ins风", "轻奢", "现货", "旗舰", "gift box")
# Words that announce a fake; loud counterfeiters put them in titles (the platform's keyword list has them).
FAKE_KEYWORDS = ("高仿", "1:1", "replica", "复刻", "A货", "精仿", "super copy", "原单", "mirror quality", "顶级版")
# Catalogue-evading brand references of listings the catalogue cannot match to a brand.
EVASIVE_TOKENS = ("大牌同款", "N家", "A家", "G家", "L家", "C家", "专柜同款", "某奢同款")

DESCRIPTIONS = {
    "plain": ("支持7天无理由退货", "Ships within 48h. 质量保证", "尺码齐全 size 36-45", 'Size 42, "limited" edition',
              "品质保证\n售后无忧", "工厂直发，价格实惠", "下单备注颜色", "daily use, easy care"),
    "reseller": ("品牌授权经销商，授权书可查", "authorized dealer, 全国联保", "官方授权 正品保障 可开发票"),
    "grey": ("海外直邮，专柜购入附小票", "Imported from Japan, 无中文标签", "香港仓发货，正品保证", "代购 overseas purchase"),
    "loud": ("工厂直供，和专柜一模一样", "same as original, 支持验货", "细节对比图见详情，顶级做工", "original packaging 全套包装"),
    "quiet": ("正品保证，假一赔十", "专柜正品，支持鉴定", "genuine product, 全新未拆封", "品质保证\n售后无忧"),
}

STORE_WORDS = ("潮流", "优选", "精品", "时尚", "好物", "尚品", "运动", "数码", "美妆", "家居", "生活馆", "星空", "悦享",
               "鑫源", "百货", "海淘", "全球购", "臻选", "潮牌", "Urban", "Daily", "Smart", "Lucky", "Prime")
STORE_SUFFIX = ("旗舰店", "专营店", "专卖店", "的小店", "工作室", "精品店", " Store", " Shop", "折扣店", "企业店")

SURNAMES = (("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
            ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"), ("马", "ma"),
            ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("高", "gao"), ("林", "lin"), ("罗", "luo"),
            ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"), ("唐", "tang"), ("许", "xu"),
            ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"), ("彭", "peng"), ("曾", "zeng"))
GIVEN = (("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("强", "qiang"),
         ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"), ("杰", "jie"), ("娟", "juan"),
         ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("秀", "xiu"), ("霞", "xia"), ("平", "ping"), ("刚", "gang"),
         ("桂", "gui"), ("英", "ying"), ("华", "hua"), ("建", "jian"), ("文", "wen"), ("辉", "hui"), ("玲", "ling"),
         ("鹏", "peng"), ("宇", "yu"), ("浩", "hao"), ("欣", "xin"), ("婷", "ting"), ("晨", "chen"), ("博", "bo"),
         ("佳", "jia"), ("思", "si"), ("怡", "yi"), ("子", "zi"), ("梓", "zi"), ("涵", "han"), ("睿", "rui"))
CITIES = (("深圳市", "440305"), ("广州市", "440104"), ("杭州市", "330106"), ("义乌市", "330782"), ("上海市", "310101"),
          ("北京市", "110101"), ("厦门市", "350203"), ("泉州市", "350502"), ("莆田市", "350302"), ("东莞市", "441900"),
          ("南京市", "320102"), ("成都市", "510104"), ("苏州市", "320505"), ("温州市", "330302"))
COMPANY_WORDS = ("恒盛", "鑫达", "华美", "博远", "嘉和", "瑞丰", "宏图", "金源", "天成", "优品", "锦程", "汇通", "万象",
                 "星辰", "润泽", "永兴", "新锐", "德信", "创盈", "佳美", "聚鑫", "顺昌", "盛世", "荣泰")
COMPANY_TRADES = ("贸易", "电子商务", "服饰", "科技", "供应链", "进出口", "商贸", "文化用品", "化妆品", "鞋业")
EMAIL_DOMAINS = ("example.cn", "example.com", "mail.example.cn", "shop.example.com")
ABROAD = (("HK", 35), ("JP", 20), ("US", 15), ("KR", 10), ("DE", 5), ("FR", 5), ("IT", 5), ("GB", 5))
