"""E-licence types (电子证照类型) used in the delta's mutual recognition, and usage scenarios.

Each type has its type code -- the defining body's unified social credit code
followed by three digits, as the licence identifier (GB/T 36904 style) embeds
it -- the kind of holder (a person or a company), the face data (照面信息)
with field types, and the default validity. The defining bodies' codes here
are checksum-valid placeholders with the organisation code ``DELTA1xxx`` (the
real registry of type codes is not public); the names are the real ones.

Usage scenarios (用证场景) are the matters a licence is checked for; the
mutual-recognition list in the federation registry says per type which
scenarios each region accepts and which fields each scenario may receive.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from standards.identifiers.licence_id import LicenceId
from standards.identifiers.uscc import make_uscc

HolderKind = Literal["person", "company"]
FieldKind = Literal["text", "date", "integer", "number"]
NATIONAL_AREA = "100000"


@dataclass(frozen=True)
class FaceField:
    key: str
    label_zh: str
    label_en: str
    kind: FieldKind = "text"
    required: bool = True

    @property
    def label(self) -> str:
        return f"{self.label_zh} / {self.label_en}"


@dataclass(frozen=True)
class DefiningBody:
    name: str
    name_en: str
    uscc: str


@dataclass(frozen=True)
class LicenceType:
    code: str  # defining body's USCC + 3 digits
    slug: str
    name: str
    name_en: str
    holder_kind: HolderKind
    defining_body: DefiningBody
    fields: tuple[FaceField, ...]
    validity_years: int | None  # None: valid until revoked (长期)

    @property
    def field_keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields)

    def field(self, key: str) -> FaceField | None:
        return next((f for f in self.fields if f.key == key), None)

    def default_valid_until(self, valid_from: date) -> date | None:
        if self.validity_years is None:
            return None
        try:
            return valid_from.replace(year=valid_from.year + self.validity_years)
        except ValueError:  # 29 February
            return valid_from.replace(year=valid_from.year + self.validity_years, day=28)

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "slug": self.slug,
            "name": self.name,
            "name_en": self.name_en,
            "holder_kind": self.holder_kind,
            "defining_body": {
                "name": self.defining_body.name,
                "name_en": self.defining_body.name_en,
                "uscc": self.defining_body.uscc,
            },
            "validity_years": self.validity_years,
            "fields": [
                {"key": f.key, "label_zh": f.label_zh, "label_en": f.label_en, "type": f.kind,
                 "required": f.required}
                for f in self.fields
            ],
        }  # fmt: skip


def _body(name: str, name_en: str, number: int) -> DefiningBody:
    return DefiningBody(name, name_en, make_uscc("1", "1", NATIONAL_AREA, f"DELTA{number:04d}"))


MPS = _body("公安部", "Ministry of Public Security", 1001)
SAMR = _body("国家市场监督管理总局", "State Administration for Market Regulation", 1002)
MCA = _body("民政部", "Ministry of Civil Affairs", 1003)
NHC = _body("国家卫生健康委员会", "National Health Commission", 1004)
MOHRSS = _body("人力资源和社会保障部", "Ministry of Human Resources and Social Security", 1005)
MNR = _body("自然资源部", "Ministry of Natural Resources", 1006)
MOE = _body("教育部", "Ministry of Education", 1007)
CDPF = _body("中国残疾人联合会", "China Disabled Persons' Federation", 1008)
MOT = _body("交通运输部", "Ministry of Transport", 1009)

F = FaceField
NAME, SEX = F("name", "姓名", "name"), F("sex", "性别", "sex")
BIRTH = F("birth_date", "出生日期", "date of birth", "date")
ADDRESS = F("address", "住址", "address")
CITIZEN_ID = F("citizen_id", "公民身份号码", "citizen ID number")
COMPANY = F("company_name", "名称", "name of the company")
USCC = F("uscc", "统一社会信用代码", "unified social credit code")
LEGAL_REP = F("legal_representative", "法定代表人", "legal representative")
CERT_NO = F("certificate_number", "证书编号", "certificate number")


def _type(  # noqa: PLR0917  (a table row, read positionally below)
    body: DefiningBody, number: int, slug: str, name: str, name_en: str,
    holder: HolderKind, years: int | None, *fields: FaceField,
) -> LicenceType:  # fmt: skip
    return LicenceType(f"{body.uscc}{number:03d}", slug, name, name_en, holder, body, fields, years)


LICENCE_TYPES: tuple[LicenceType, ...] = (
    _type(MPS, 1, "resident-id-card", "居民身份证", "resident identity card", "person", 20,
          NAME, SEX, F("ethnicity", "民族", "ethnicity"), BIRTH, ADDRESS, CITIZEN_ID),
    _type(SAMR, 1, "business-licence", "营业执照", "business licence", "company", None,
          COMPANY, USCC, F("company_type", "类型", "type of company"), LEGAL_REP,
          F("registered_capital", "注册资本", "registered capital"),
          F("established", "成立日期", "date of establishment", "date"),
          F("address", "住所", "registered address"),
          F("business_scope", "经营范围", "business scope")),
    _type(MPS, 2, "driving-licence", "机动车驾驶证", "driving licence", "person", 6,
          NAME, SEX, BIRTH, ADDRESS, F("licence_number", "证号", "licence number"),
          F("first_issued", "初次领证日期", "first issued", "date"),
          F("vehicle_class", "准驾车型", "vehicle classes")),
    _type(MPS, 3, "vehicle-licence", "机动车行驶证", "vehicle registration certificate",
          "person", None,
          F("plate_number", "号牌号码", "plate number"),
          F("vehicle_type", "车辆类型", "vehicle type"),
          F("owner", "所有人", "owner"), F("use_character", "使用性质", "use"),
          F("model", "品牌型号", "make and model"), F("vin", "车辆识别代号", "VIN"),
          F("registered", "注册日期", "registered on", "date")),
    _type(MCA, 1, "marriage-certificate", "结婚证", "marriage certificate", "person", None,
          NAME, F("spouse_name", "配偶姓名", "spouse's name"),
          F("registered", "登记日期", "registered on", "date"), CERT_NO),
    _type(NHC, 1, "birth-certificate", "出生医学证明", "medical certificate of birth", "person",
          None, F("child_name", "新生儿姓名", "child's name"), SEX, BIRTH,
          F("birth_place", "出生地点", "place of birth"),
          F("mother_name", "母亲姓名", "mother's name"),
          F("father_name", "父亲姓名", "father's name", required=False)),
    _type(MPS, 4, "household-register", "户口簿", "household register", "person", None,
          F("householder", "户主姓名", "head of household"),
          F("household_type", "户别", "type of household"), ADDRESS, NAME,
          F("relation", "与户主关系", "relation to the head")),
    _type(MOHRSS, 1, "social-security-card", "社会保障卡", "social security card", "person", 10,
          NAME, F("card_number", "卡号", "card number"), F("bank", "发卡银行", "issuing bank")),
    _type(MNR, 1, "real-estate-certificate", "不动产权证书", "real estate title certificate",
          "person", None,
          F("owner", "权利人", "owner"), F("co_ownership", "共有情况", "co-ownership"),
          F("location", "坐落", "location"), F("unit_number", "不动产单元号", "unit number"),
          F("right_type", "权利类型", "type of right"), F("use", "用途", "use"),
          F("area_m2", "面积（平方米）", "area (m²)", "number")),
    _type(SAMR, 2, "food-business-licence", "食品经营许可证", "food business licence",
          "company", 5,
          F("operator", "经营者名称", "operator"), USCC, LEGAL_REP, ADDRESS,
          F("main_business", "主体业态", "main business"),
          F("scope", "经营项目", "scope of business")),
    _type(NHC, 2, "physician-practice-certificate", "医师执业证书",
          "physician's practising certificate", "person", None,
          NAME, SEX, BIRTH, F("category", "执业类别", "practice category"),
          F("scope", "执业范围", "practice scope"),
          F("practice_place", "执业地点", "place of practice"), CERT_NO),
    _type(MOE, 1, "teacher-qualification", "教师资格证", "teacher qualification certificate",
          "person", None,
          NAME, SEX, BIRTH, F("qualification", "资格种类", "kind of qualification"),
          F("subject", "任教学科", "subject"), CERT_NO),
    _type(CDPF, 1, "disability-certificate", "残疾人证", "disability certificate", "person", 10,
          NAME, SEX, F("category", "残疾类别", "category"),
          F("grade", "残疾等级", "grade", "integer"),
          F("guardian", "监护人", "guardian", required=False)),
    _type(MOT, 1, "road-transport-licence", "道路运输经营许可证",
          "road transport business licence", "company", 4,
          F("operator", "业户名称", "operator"), USCC, ADDRESS,
          F("scope", "经营范围", "scope of business"),
          F("economic_type", "经济类型", "economic type")),
)  # fmt: skip

BY_CODE = {t.code: t for t in LICENCE_TYPES}
BY_SLUG = {t.slug: t for t in LICENCE_TYPES}


def get_type(code_or_slug: str) -> LicenceType | None:
    return BY_CODE.get(code_or_slug) or BY_SLUG.get(code_or_slug)


# --- metadata fields every licence has (GB/T 36903 style), releasable like face data ----

METADATA_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("licence_name", "证照名称", "name of the licence"),
    ("licence_number", "证照编号", "licence number"),
    ("holder_name", "持证主体", "holder"),
    ("holder_code", "持证主体代码", "holder's ID number or USCC"),
    ("holder_code_masked", "持证主体代码（脱敏）", "holder's code (masked)"),
    ("issuer_name", "颁发机构", "issuing authority"),
    ("issuer_code", "颁发机构代码", "issuing authority's USCC"),
    ("issue_date", "颁发日期", "issue date"),
    ("valid_from", "有效期起始", "valid from"),
    ("valid_until", "有效期截止", "valid until"),
)
METADATA_KEYS = tuple(key for key, _, _ in METADATA_FIELDS)
FACE_PREFIX = "face."


def field_label(licence_type: LicenceType, key: str) -> str:
    for name, zh, en in METADATA_FIELDS:
        if name == key:
            return f"{zh} / {en}"
    face = licence_type.field(key.removeprefix(FACE_PREFIX))
    return face.label if face else key


def releasable_fields(licence_type: LicenceType) -> tuple[str, ...]:
    """Every field name a scenario can list for this type: metadata, then ``face.<key>``."""
    return METADATA_KEYS + tuple(FACE_PREFIX + key for key in licence_type.field_keys)


# --- face data --------------------------------------------------------------------------

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_FIELD_CHARS = 500


def face_data_errors(licence_type: LicenceType, data: Any) -> dict[str, str]:
    """Problems with face data, per field (empty when it is acceptable)."""
    if not isinstance(data, dict):
        return {"face_data": "must be an object of field values"}
    errors: dict[str, str] = {}
    for key in sorted(set(data) - set(licence_type.field_keys)):
        errors[key] = f"not a field of {licence_type.name}"
    for spec in licence_type.fields:
        value = data.get(spec.key)
        if value is None or value == "":
            if spec.required:
                errors[spec.key] = "required"
            continue
        problem = _value_problem(spec, value)
        if problem:
            errors[spec.key] = problem
    return errors


def _value_problem(spec: FaceField, value: Any) -> str:
    if spec.kind == "integer":
        return "" if isinstance(value, int) and not isinstance(value, bool) else "an integer"
    if spec.kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return "" if ok and math.isfinite(value) and abs(value) < 1e12 else "a number"
    if not isinstance(value, str) or len(value) > MAX_FIELD_CHARS:
        return f"text of at most {MAX_FIELD_CHARS} characters"
    if spec.kind == "date":
        if not _DATE.match(value):
            return "a date YYYY-MM-DD"
        try:
            date.fromisoformat(value)
        except ValueError:
            return "a date YYYY-MM-DD"
    return ""


def licence_identifier(
    licence_type: LicenceType, *, issuer_uscc: str, serial: str, version: int
) -> str:
    """``1.2.156.3005.2.<type>.<issuer>.<serial>.<version>.<check>`` (see DOMAIN.md)."""
    if not 1 <= version <= 999:
        raise ValueError("the version has three digits")
    return str(LicenceId(licence_type.code, issuer_uscc, serial, f"{version:03d}"))


# --- usage scenarios (用证场景) ------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    code: str
    name: str
    name_en: str


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("window-identity", "专窗身份核验", "identity check at a cross-region window"),
    Scenario("enterprise-registration", "企业开办", "starting a business"),
    Scenario("vehicle-services", "车驾管业务", "vehicle and driver services"),
    Scenario("social-security-transfer", "社保关系转移", "moving social insurance"),
    Scenario("property-registration", "不动产登记", "real estate registration"),
    Scenario("practice-registration", "执业注册", "registering a professional practice"),
    Scenario("school-enrolment", "入学报名", "school enrolment"),
    Scenario("employment", "招聘录用", "employment"),
    Scenario("benefits", "补贴申领", "applying for benefits"),
    Scenario("transport-operations", "道路运输业务", "road transport operations"),
    Scenario("food-operations", "食品经营业务", "food business operations"),
)
SCENARIOS_BY_CODE = {s.code: s for s in SCENARIOS}
