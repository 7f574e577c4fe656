"""The publishing organisations of the sample catalog (real department names)."""

from __future__ import annotations

from .model import Organization


def _org(name: str, title: str, title_en: str, region_code: str, fields: str) -> Organization:
    description = f"{title}在本平台开放的公共数据资源（样例），主要涉及{fields}等领域。"
    return Organization(name, title, title_en, region_code, description)


ORGANIZATIONS = (
    # Shanghai: municipal commissions and bureaus, and three district bureaus.
    _org(
        "shanghai-ecology-environment",
        "上海市生态环境局",
        "Shanghai Municipal Bureau of Ecology and Environment",
        "310000",
        "环境质量监测与污染防治",
    ),
    _org(
        "shanghai-transport",
        "上海市交通委员会",
        "Shanghai Municipal Transportation Commission",
        "310000",
        "交通出行与停车管理",
    ),
    _org(
        "shanghai-civil-affairs",
        "上海市民政局",
        "Shanghai Municipal Civil Affairs Bureau",
        "310000",
        "养老服务与社会组织管理",
    ),
    _org(
        "shanghai-health",
        "上海市卫生健康委员会",
        "Shanghai Municipal Health Commission",
        "310000",
        "医疗卫生与基层卫生服务",
    ),
    _org(
        "shanghai-market-regulation",
        "上海市市场监督管理局",
        "Shanghai Administration for Market Regulation",
        "310000",
        "市场主体登记与食品安全监管",
    ),
    _org(
        "shanghai-government-office",
        "上海市人民政府办公厅",
        "General Office of Shanghai Municipal People's Government",
        "310000",
        "政务服务与“一网通办”",
    ),
    _org(
        "xuhui-greening-cityscape",
        "上海市徐汇区绿化和市容管理局",
        "Xuhui District Greening and Cityscape Administration",
        "310104",
        "公园绿地与市容环境卫生",
    ),
    _org(
        "putuo-education",
        "上海市普陀区教育局",
        "Putuo District Education Bureau",
        "310107",
        "基础教育与学校管理",
    ),
    _org(
        "pudong-construction-transport",
        "上海市浦东新区建设和交通委员会",
        "Pudong New Area Construction and Transportation Commission",
        "310115",
        "建设工程管理与防汛防台",
    ),
    # Jiangsu
    _org(
        "jiangsu-development-reform",
        "江苏省发展和改革委员会",
        "Jiangsu Provincial Development and Reform Commission",
        "320000",
        "重大项目与社会信用体系建设",
    ),
    _org(
        "jiangsu-ecology-environment",
        "江苏省生态环境厅",
        "Department of Ecology and Environment of Jiangsu Province",
        "320000",
        "水环境质量与污染源监测",
    ),
    _org(
        "suzhou-transport",
        "苏州市交通运输局",
        "Suzhou Municipal Transportation Bureau",
        "320500",
        "公共交通与新能源汽车充电设施",
    ),
    _org(
        "nanjing-health",
        "南京市卫生健康委员会",
        "Nanjing Municipal Health Commission",
        "320100",
        "医疗机构与托育服务",
    ),
    # Zhejiang
    _org(
        "zhejiang-ecology-environment",
        "浙江省生态环境厅",
        "Department of Ecology and Environment of Zhejiang Province",
        "330000",
        "空气质量与饮用水水源保护",
    ),
    _org(
        "zhejiang-statistics",
        "浙江省统计局",
        "Zhejiang Provincial Bureau of Statistics",
        "330000",
        "国民经济核算与人口统计",
    ),
    _org(
        "zhejiang-culture-tourism",
        "浙江省文化广电和旅游厅",
        "Department of Culture, Radio, Television and Tourism of Zhejiang Province",
        "330000",
        "旅游景区与公共文化服务",
    ),
    _org(
        "hangzhou-civil-affairs",
        "杭州市民政局",
        "Hangzhou Municipal Civil Affairs Bureau",
        "330100",
        "老年助餐服务与社会组织管理",
    ),
    # Anhui
    _org(
        "anhui-development-reform",
        "安徽省发展和改革委员会",
        "Anhui Provincial Development and Reform Commission",
        "340000",
        "社会信用体系建设与价格监测",
    ),
    _org(
        "hefei-urban-construction",
        "合肥市城乡建设局",
        "Hefei Municipal Bureau of Urban and Rural Construction",
        "340100",
        "城市生命线安全、建筑工地管理与老旧小区改造",
    ),
    _org(
        "suzhou-anhui-data-resources",
        "宿州市数据资源管理局",
        "Suzhou (Anhui) Municipal Data Resources Administration",
        "341300",
        "政务服务与数据资源",
    ),
)

ORG = {org.name: org for org in ORGANIZATIONS}
