"""Fictional enterprises and their codes.

Every company in the samples carries 样例 ("sample") in its name, and its
unified social credit code has an organisation part starting with ``YL``,
which no real registry assigns, so nothing here can be mistaken for a real
company. The codes pass the GB 32100 check, as the portal's validators expect.
"""

from __future__ import annotations

import random

from standards.identifiers.uscc import ALPHABET, make_uscc

from .common import words

BRANDS = words(
    "澜岳 禾舟 星湃 云帆 朗屹 泓岸 青穹 曜川 锦衡 嘉珩 沐垚 启岚 晟沣 拓岭 瀚溪 "
    "翎澄 砚山 栖鹭 知渡 鸣皋 弘湾 峻熹 翊新 铂湖 昀瑞 汀兰 策远 融泉 桐宇 煦川 "
    "澈言 楷序 昱衡 远岫 霁川 乐垣 卓溪 弈帆 钧和 岚桥 沛霖 骁禾 晴岚 景渊 "
    "闻涛 鹤鸣 映川 和沣 蔚岭 长舟"
)

INDUSTRY_WORDS = {
    "manufacturing": ("精密机械", "智能装备", "新材料", "电子科技", "汽车零部件", "纺织"),
    "technology": ("信息技术", "软件", "数据科技", "智能科技", "网络科技", "生物科技"),
    "trade": ("商贸", "供应链管理", "进出口", "食品贸易", "医药连锁"),
    "construction": ("建设工程", "建筑装饰", "市政工程", "建设集团"),
    "property": ("置业", "房地产开发", "城市更新"),
    "services": ("物业服务", "物流", "餐饮管理", "健康管理", "文化传媒"),
    "consulting": ("工程咨询", "建设监理", "工程管理咨询"),
    "chemical": ("化工", "印染", "电镀", "纸业", "环保能源", "热电"),
}


def company(
    rng: random.Random, city_short: str, kind: str, *, group: bool = False, trade: str = ""
) -> str:
    """``苏州样例禾舟精密机械有限公司`` and the like; ``trade`` overrides the kind's words."""
    brand = rng.choice(BRANDS)
    trade = trade or rng.choice(INDUSTRY_WORDS[kind])
    suffix = "股份有限公司" if group and rng.random() < 0.5 else "有限公司"
    return f"{city_short}样例{brand}{trade}{suffix}"


def uscc(rng: random.Random, area_code: str, *, authority: str = "9", kind: str = "1") -> str:
    """A check-valid code whose organisation part (``YL…``) marks it as synthetic."""
    organisation = "YL" + "".join(rng.choice(ALPHABET) for _ in range(7))
    return make_uscc(authority, kind, area_code, organisation)
