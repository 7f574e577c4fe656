"""The matter catalogue (事项目录): cross-region matters each region decides.

Every region decides the same 35 kinds of matter (the delta's 跨省通办
list is shared), each through its own department, so a region's list is
built from the templates below with that region's departments. A matter
names its required materials; a material may be replaced by an e-licence
of the listed types (验证电子证照, no paper copy). Time limits are in
working days, counted from acceptance (受理); fees in yuan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from interregion.cases.units import department_code, unit
from standards.regions import DELTA_PROVINCES

CATALOGUE_VERSION = 1


@dataclass(frozen=True)
class Material:
    code: str
    name: str
    name_en: str
    required: bool = True
    # Licence types (by Chinese name, as in the mutual-recognition list) that replace the paper.
    licence_types: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "name_en": self.name_en,
            "required": self.required,
            "licence_types": list(self.licence_types),
        }


@dataclass(frozen=True)
class Fee:
    amount_yuan: float
    item: str = ""
    item_en: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"amount_yuan": self.amount_yuan, "item": self.item, "item_en": self.item_en}


@dataclass(frozen=True)
class MatterTemplate:
    number: int
    department: str  # abbreviation, see units._DEPARTMENTS
    name: str
    name_en: str
    holder: str  # who applies: "person" | "company" | "either"
    time_limit_days: int
    materials: tuple[Material, ...]
    fees: tuple[Fee, ...] = field(default_factory=tuple)


def _m(code: str, name: str, name_en: str, *licences: str, required: bool = True) -> Material:
    return Material(code, name, name_en, required, tuple(licences))


_FORM = _m("M01", "申请表", "Application form")
_ID = _m("M90", "申请人身份证明", "Applicant's identity document", "居民身份证")
_BIZ = _m("M91", "营业执照", "Business licence", "营业执照")
_SSC = _m("M92", "社会保障卡", "Social security card", "社会保障卡")
_FREE: tuple[Fee, ...] = ()


TEMPLATES: tuple[MatterTemplate, ...] = (
    MatterTemplate(
        1,
        "SCJG",
        "企业设立登记",
        "Company establishment registration",
        "company",
        3,
        (
            _FORM,
            _m("M02", "公司章程", "Articles of association"),
            _m("M03", "住所使用证明", "Proof of premises", "不动产权证书"),
            _ID,
        ),
    ),
    MatterTemplate(
        2,
        "SCJG",
        "企业变更登记",
        "Company change registration",
        "company",
        3,
        (_FORM, _m("M02", "变更决议", "Resolution on the change"), _BIZ),
    ),
    MatterTemplate(
        3,
        "SCJG",
        "企业注销登记",
        "Company deregistration",
        "company",
        5,
        (_FORM, _m("M02", "清算报告", "Liquidation report"), _BIZ),
    ),
    MatterTemplate(
        4,
        "SCJG",
        "食品经营许可",
        "Food business licence",
        "company",
        10,
        (
            _FORM,
            _BIZ,
            _m("M02", "经营场所平面图", "Floor plan of the premises"),
            _m("M03", "食品安全管理制度", "Food safety rules"),
        ),
    ),
    MatterTemplate(
        5,
        "SCJG",
        "食品经营许可变更",
        "Food business licence change",
        "company",
        10,
        (_FORM, _m("M02", "食品经营许可证", "Food business licence", "食品经营许可证"), _BIZ),
    ),
    MatterTemplate(
        6,
        "SCJG",
        "个体工商户登记",
        "Individual business registration",
        "person",
        3,
        (_FORM, _ID, _m("M02", "经营场所证明", "Proof of premises", "不动产权证书")),
    ),
    MatterTemplate(
        7,
        "RS",
        "养老保险关系转移接续",
        "Pension insurance transfer",
        "person",
        15,
        (_FORM, _SSC, _m("M02", "参保缴费凭证", "Contribution record")),
    ),
    MatterTemplate(
        8,
        "RS",
        "失业保险关系转移",
        "Unemployment insurance transfer",
        "person",
        15,
        (_FORM, _SSC, _m("M02", "解除劳动合同证明", "Proof of end of employment")),
    ),
    MatterTemplate(
        9,
        "RS",
        "社会保障卡补换",
        "Social security card replacement",
        "person",
        10,
        (_FORM, _ID, _m("M02", "近期免冠照片", "Recent photograph")),
    ),
    MatterTemplate(
        10,
        "RS",
        "职业资格证书补发",
        "Professional qualification certificate re-issue",
        "person",
        10,
        (_FORM, _ID, _m("M02", "遗失声明", "Declaration of loss")),
    ),
    MatterTemplate(
        11,
        "RS",
        "技能人员职业资格证书核验",
        "Vocational skill certificate check",
        "person",
        5,
        (_FORM, _ID, _m("M02", "证书复印件", "Copy of the certificate")),
    ),
    MatterTemplate(
        12,
        "YB",
        "异地就医备案",
        "Out-of-region medical treatment filing",
        "person",
        1,
        (_FORM, _SSC, _m("M02", "异地居住证明", "Proof of residence elsewhere", required=False)),
    ),
    MatterTemplate(
        13,
        "YB",
        "医保关系转移接续",
        "Medical insurance transfer",
        "person",
        15,
        (_FORM, _SSC, _m("M02", "参保凭证", "Insurance certificate")),
    ),
    MatterTemplate(
        14,
        "YB",
        "生育津贴申领",
        "Maternity allowance claim",
        "person",
        10,
        (_FORM, _SSC, _m("M02", "出生医学证明", "Medical birth certificate", "出生医学证明")),
    ),
    MatterTemplate(
        15,
        "GJJ",
        "住房公积金异地转移接续",
        "Housing fund transfer",
        "person",
        10,
        (_FORM, _ID, _m("M02", "新缴存地开户证明", "Proof of the new fund account")),
    ),
    MatterTemplate(
        16,
        "GJJ",
        "住房公积金提取（购房）",
        "Housing fund withdrawal (home purchase)",
        "person",
        5,
        (
            _FORM,
            _ID,
            _m("M02", "不动产权证书", "Real estate title certificate", "不动产权证书"),
            _m("M03", "结婚证", "Marriage certificate", "结婚证", required=False),
            _m("M04", "购房发票", "Purchase invoice"),
        ),
    ),
    MatterTemplate(
        17,
        "GJJ",
        "住房公积金提取（离职）",
        "Housing fund withdrawal (leaving work)",
        "person",
        5,
        (_FORM, _ID, _m("M02", "离职证明", "Proof of leaving work")),
    ),
    MatterTemplate(
        18,
        "GJJ",
        "住房公积金缴存使用证明",
        "Housing fund deposit certificate",
        "person",
        3,
        (_FORM, _ID),
    ),
    MatterTemplate(
        19,
        "JJ",
        "机动车驾驶证换证",
        "Driving licence renewal",
        "person",
        1,
        (
            _FORM,
            _m("M02", "机动车驾驶证", "Driving licence", "机动车驾驶证"),
            _m("M03", "身体条件证明", "Medical fitness certificate"),
        ),
        (Fee(10.0, "工本费", "Card fee"),),
    ),
    MatterTemplate(
        20,
        "JJ",
        "机动车驾驶证补证",
        "Driving licence replacement",
        "person",
        1,
        (_FORM, _ID, _m("M02", "遗失声明", "Declaration of loss")),
        (Fee(10.0, "工本费", "Card fee"),),
    ),
    MatterTemplate(
        21,
        "JJ",
        "机动车检验合格标志核发",
        "Vehicle inspection mark",
        "either",
        1,
        (
            _FORM,
            _m("M02", "机动车行驶证", "Vehicle registration certificate", "机动车行驶证"),
            _m("M03", "交强险凭证", "Compulsory insurance certificate"),
        ),
    ),
    MatterTemplate(
        22,
        "JJ",
        "机动车转移登记",
        "Vehicle transfer registration",
        "either",
        5,
        (
            _FORM,
            _m("M02", "机动车行驶证", "Vehicle registration certificate", "机动车行驶证"),
            _m("M03", "机动车来历证明", "Proof of how the vehicle was acquired"),
        ),
        (Fee(10.0, "行驶证工本费", "Certificate fee"),),
    ),
    MatterTemplate(
        23,
        "HJ",
        "出生登记",
        "Birth registration",
        "person",
        5,
        (
            _FORM,
            _m("M02", "出生医学证明", "Medical birth certificate", "出生医学证明"),
            _m("M03", "户口簿", "Household register", "户口簿"),
            _m("M04", "结婚证", "Marriage certificate", "结婚证"),
        ),
    ),
    MatterTemplate(
        24,
        "HJ",
        "户口迁移（准迁证）",
        "Household registration transfer",
        "person",
        20,
        (_FORM, _m("M02", "户口簿", "Household register", "户口簿"), _ID),
    ),
    MatterTemplate(
        25,
        "WJ",
        "出生医学证明补发",
        "Medical birth certificate re-issue",
        "person",
        10,
        (_FORM, _ID, _m("M02", "分娩记录", "Delivery record")),
    ),
    MatterTemplate(
        26,
        "WJ",
        "医师执业注册变更",
        "Physician practice registration change",
        "person",
        20,
        (
            _FORM,
            _m("M02", "医师执业证书", "Physician practice certificate", "医师执业证书"),
            _m("M03", "拟执业机构聘用证明", "Employment by the new institution"),
        ),
    ),
    MatterTemplate(
        27,
        "WJ",
        "护士执业注册",
        "Nurse practice registration",
        "person",
        20,
        (_FORM, _ID, _m("M02", "护士资格考试成绩合格证明", "Nurse examination certificate")),
    ),
    MatterTemplate(
        28,
        "ZR",
        "不动产登记资料查询",
        "Property registration inquiry",
        "either",
        1,
        (
            _FORM,
            _ID,
            _m(
                "M02",
                "不动产权证书",
                "Real estate title certificate",
                "不动产权证书",
                required=False,
            ),
        ),
    ),
    MatterTemplate(
        29,
        "ZR",
        "不动产抵押权注销登记",
        "Mortgage discharge registration",
        "either",
        5,
        (
            _FORM,
            _m("M02", "不动产权证书", "Real estate title certificate", "不动产权证书"),
            _m("M03", "主债权消灭证明", "Proof that the debt is discharged"),
        ),
    ),
    MatterTemplate(
        30,
        "MZ",
        "婚姻登记档案查询",
        "Marriage record inquiry",
        "person",
        5,
        (_FORM, _ID, _m("M02", "结婚证", "Marriage certificate", "结婚证", required=False)),
    ),
    MatterTemplate(
        31,
        "CL",
        "残疾人证迁移",
        "Disability certificate transfer",
        "person",
        20,
        (
            _FORM,
            _m("M02", "残疾人证", "Disability certificate", "残疾人证"),
            _m("M03", "户口簿", "Household register", "户口簿"),
        ),
    ),
    MatterTemplate(
        32,
        "JY",
        "教师资格认定",
        "Teacher qualification recognition",
        "person",
        20,
        (
            _FORM,
            _ID,
            _m("M02", "学历证书", "Diploma"),
            _m("M03", "体检合格证明", "Medical examination certificate"),
        ),
    ),
    MatterTemplate(
        33,
        "JT",
        "道路运输经营许可变更",
        "Road transport licence change",
        "company",
        20,
        (
            _FORM,
            _BIZ,
            _m("M02", "道路运输经营许可证", "Road transport licence", "道路运输经营许可证"),
        ),
    ),
    MatterTemplate(
        34,
        "JT",
        "道路运输从业资格证转籍",
        "Road transport qualification transfer",
        "person",
        10,
        (_FORM, _ID, _m("M02", "从业资格证", "Qualification certificate")),
    ),
    MatterTemplate(
        35,
        "SW",
        "跨区域涉税事项报告",
        "Cross-region tax matter report",
        "company",
        1,
        (_FORM, _BIZ, _m("M02", "外出经营合同", "Contract for work elsewhere")),
    ),
)


@dataclass(frozen=True)
class Matter:
    code: str
    region: str
    template: MatterTemplate

    @property
    def name(self) -> str:
        return self.template.name

    @property
    def name_en(self) -> str:
        return self.template.name_en

    @property
    def department(self) -> str:
        return department_code(self.region, self.template.department)

    @property
    def time_limit_days(self) -> int:
        return self.template.time_limit_days

    @property
    def materials(self) -> tuple[Material, ...]:
        return self.template.materials

    def material(self, code: str) -> Material | None:
        return next((m for m in self.materials if m.code == code), None)

    def as_json(self) -> dict[str, Any]:
        department = unit(self.department)
        assert department is not None
        return {
            "code": self.code,
            "name": self.name,
            "name_en": self.name_en,
            "region": self.region,
            "deciding_department": department.as_json(),
            "holder": self.template.holder,
            "materials": [m.as_json() for m in self.materials],
            "licence_types": sorted({t for m in self.materials for t in m.licence_types}),
            "time_limit_days": self.time_limit_days,
            "fees": [f.as_json() for f in self.template.fees],
        }


def matter_code(region: str, template: MatterTemplate) -> str:
    return f"{region}-{template.department}-{template.number:03d}"


def matters_of(region: str) -> list[Matter]:
    """The region's own list: every template, decided by the region's departments."""
    if region not in DELTA_PROVINCES:
        raise KeyError(region)
    return [Matter(matter_code(region, t), region, t) for t in TEMPLATES]


def matter_list_document(region: str) -> dict[str, Any]:
    """What the region signs: its matters, with the catalogue version."""
    return {
        "region": region,
        "version": CATALOGUE_VERSION,
        "matters": [m.as_json() for m in matters_of(region)],
    }


def find(code: str) -> Matter | None:
    """A matter of any region by code (the templates are shared; the lists are signed per node)."""
    region = code.split("-", 1)[0]
    if region not in DELTA_PROVINCES:
        return None
    return next((m for m in matters_of(region) if m.code == code), None)
