"""Loading the organisation directory from ODS files: regions, integrated care boards, trusts,
and the GP practices, dental practices and pharmacies patients name as the place of care."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from feedback.choices import OrganisationKind
from feedback.errors import DomainError
from feedback.models import Organisation, Region
from feedback.ods import (
    REGION_NAMES,
    IcbRecord,
    PracticeRecord,
    TrustRecord,
    read_icbs,
    read_practices,
    read_trust_types,
    read_trusts,
)

CQC_ODS_CODE = "CQC"
CQC_NAME = "Care Quality Commission"
# NHS England's own ODS code; its national triage queue takes what no area could be found for.
NATIONAL_ODS_CODE = "X24"
NATIONAL_NAME = "NHS England"
_BATCH = 1000

# How many trusts with a missing ICB an error lists before summarising the rest.
_ORPHANS_SHOWN = 5


class OrganisationImportError(DomainError):
    """ODS files that each parse but do not fit together, such as a trust whose ICB is missing."""


@dataclass(frozen=True, slots=True)
class ImportCounts:
    """How many rows of one kind an import created, changed, left alone and marked closed."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What one run of ``organisations_import`` did, per kind of row."""

    regions: ImportCounts
    icbs: ImportCounts
    trusts: ImportCounts
    trusts_outside_england: int
    cqc_created: bool
    national_created: bool = False

    @property
    def created(self) -> int:
        return (
            self.regions.created
            + self.icbs.created
            + self.trusts.created
            + int(self.cqc_created)
            + int(self.national_created)
        )

    @property
    def updated(self) -> int:
        return self.regions.updated + self.icbs.updated + self.trusts.updated


@dataclass(slots=True)
class _Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0

    def freeze(self) -> ImportCounts:
        return ImportCounts(self.created, self.updated, self.unchanged, self.deactivated)


def organisations_import(
    *, trusts_path: Path, icbs_path: Path, trust_types_path: Path | None = None
) -> ImportResult:
    """Create or update the seven regions, the ICBs and the English trusts from ODS files.

    Running it again with the same files changes nothing. Trusts and ICBs that the files list as
    closed are marked inactive; organisations the files do not mention are left alone, so the
    demo set can be loaded over a full directory. Without ``trust_types_path`` a trust keeps the
    type it already has. Also makes sure the Care Quality Commission exists.
    """
    # Read and check every file before writing, so a bad file changes nothing.
    trusts = read_trusts(trusts_path)
    icbs = read_icbs(icbs_path)
    trust_types = read_trust_types(trust_types_path) if trust_types_path is not None else None
    english_trusts = [trust for trust in trusts.records if trust.in_england]
    _check_every_trust_has_its_icb(english_trusts, icbs.records, icbs_path)

    with transaction.atomic():
        regions, region_tally = _upsert_regions()
        existing = Organisation.objects.in_bulk(field_name="ods_code")
        icb_tally = _Tally()
        icb_ids: dict[str, int] = {}
        for icb in icbs.records:
            org = _upsert(existing, icb.code, _icb_values(icb, regions), icb_tally)
            icb_ids[icb.code] = org.pk
        _deactivate(existing, icbs.closed_codes, OrganisationKind.ICB, icb_tally)

        trust_tally = _Tally()
        for trust in english_trusts:
            values = _trust_values(trust, regions, icb_ids)
            if trust_types is not None:
                # Our classification covers the demo trusts; others stay unclassified.
                values["trust_type"] = trust_types.get(trust.code, "")
            _upsert(existing, trust.code, values, trust_tally)
        _deactivate(existing, trusts.closed_codes, OrganisationKind.TRUST, trust_tally)

        cqc_created = _ensure_cqc()
        national_created = _ensure_national()

    return ImportResult(
        regions=region_tally.freeze(),
        icbs=icb_tally.freeze(),
        trusts=trust_tally.freeze(),
        trusts_outside_england=len(trusts.records) - len(english_trusts),
        cqc_created=cqc_created,
        national_created=national_created,
    )


@dataclass(frozen=True, slots=True)
class PracticeImportResult:
    """What one run of ``practices_import`` did with one ODS primary care file."""

    counts: ImportCounts
    outside_england: int
    # Open rows not offered to patients, by reason (dormant, private dental practice, ...).
    left_out: dict[str, int]


def practices_import(path: Path, *, kind: str) -> PracticeImportResult:
    """Create or update the practices of ``kind`` (GP, dental, pharmacy) from an ODS file.

    Each English practice is linked to its ICB, which must already be loaded (run the ICB import
    first); a file naming an unknown ICB changes nothing. Practices the file lists as closed, and
    open ones not offered to patients (dormant, private-only dentistry, a GP code that is not a
    practice), are marked inactive; practices it does not mention are left alone.
    """
    extract = read_practices(path, kind=kind)
    english = [record for record in extract.records if record.in_england]
    icbs = {
        org.ods_code: org
        for org in Organisation.objects.filter(kind=OrganisationKind.ICB, is_active=True)
    }
    _check_every_practice_has_its_icb(english, icbs, path)
    offered = [record for record in english if not record.left_out]
    left_out: dict[str, int] = {}
    for record in english:
        if record.left_out:
            left_out[record.left_out] = left_out.get(record.left_out, 0) + 1
    closed = extract.closed_codes | {record.code for record in english if record.left_out}

    tally = _Tally()
    with transaction.atomic():
        existing = Organisation.objects.in_bulk(
            [record.code for record in english] + sorted(extract.closed_codes),
            field_name="ods_code",
        )
        new: list[Organisation] = []
        changed: dict[str, Organisation] = {}
        fields = ("name", "kind", "icb_id", "region_id", "postcode", "address", "is_active")
        for record in offered:
            icb = icbs[record.icb_code]
            values = {
                "name": record.display_name,
                "kind": kind,
                "icb_id": icb.pk,
                "region_id": icb.region_id,
                "postcode": record.postcode,
                "address": record.display_address[:300],
                "is_active": True,
            }
            org = existing.get(record.code)
            if org is None:
                new.append(Organisation(ods_code=record.code, **values))
                tally.created += 1
            elif org.kind not in (kind, *_PRACTICE_KINDS_REPLACEABLE):
                raise OrganisationImportError(
                    f"{record.code} in {path} is already in the directory as "
                    f"{org.get_kind_display()} {org.name}"
                )
            elif any(getattr(org, field) != value for field, value in values.items()):
                for field, value in values.items():
                    setattr(org, field, value)
                changed[record.code] = org
                tally.updated += 1
            else:
                tally.unchanged += 1
        Organisation.objects.bulk_create(new, batch_size=_BATCH)
        Organisation.objects.bulk_update(list(changed.values()), fields, batch_size=_BATCH)
        tally.deactivated = Organisation.objects.filter(
            ods_code__in=sorted(closed), kind=kind, is_active=True
        ).update(is_active=False)
    return PracticeImportResult(
        counts=tally.freeze(),
        outside_england=len(extract.records) - len(english),
        left_out=left_out,
    )


# A practice's kind follows its file; an earlier import of the same code from another primary
# care file (a code reused across files would be an ODS error) is corrected, never a trust's.
_PRACTICE_KINDS_REPLACEABLE = (
    OrganisationKind.GP_PRACTICE,
    OrganisationKind.DENTAL_PRACTICE,
    OrganisationKind.PHARMACY,
)


def _check_every_practice_has_its_icb(
    practices: list[PracticeRecord], icbs: dict[str, Organisation], path: Path
) -> None:
    orphans = [p for p in practices if not p.left_out and p.icb_code not in icbs]
    if not orphans:
        return
    listed = "; ".join(
        f"{p.code} ({p.display_name}) is in ICB {p.icb_code or '(none given)'}"
        for p in orphans[:_ORPHANS_SHOWN]
    )
    more = f"; and {len(orphans) - _ORPHANS_SHOWN} more" if len(orphans) > _ORPHANS_SHOWN else ""
    raise OrganisationImportError(
        f"{len(orphans)} practice(s) in {path} name an ICB that is not in the directory "
        f"(import the ICBs first): {listed}{more}"
    )


def _check_every_trust_has_its_icb(
    trusts: list[TrustRecord], icbs: tuple[IcbRecord, ...], icbs_path: Path
) -> None:
    icb_codes = {icb.code for icb in icbs}
    orphans = [trust for trust in trusts if trust.icb_code not in icb_codes]
    if not orphans:
        return
    listed = "; ".join(
        f"{trust.code} ({trust.display_name}) is in ICB {trust.icb_code}"
        for trust in orphans[:_ORPHANS_SHOWN]
    )
    more = f"; and {len(orphans) - _ORPHANS_SHOWN} more" if len(orphans) > _ORPHANS_SHOWN else ""
    raise OrganisationImportError(
        f"{len(orphans)} trust(s) name an ICB that is not open in {icbs_path}: {listed}{more}"
    )


def _upsert_regions() -> tuple[dict[str, Region], _Tally]:
    tally = _Tally()
    existing = Region.objects.in_bulk(field_name="code")
    regions: dict[str, Region] = {}
    for code, name in REGION_NAMES.items():
        region = existing.get(code)
        if region is None:
            region = Region.objects.create(code=code, name=name)
            tally.created += 1
        elif region.name != name:
            region.name = name
            region.save(update_fields=["name"])
            tally.updated += 1
        else:
            tally.unchanged += 1
        regions[code] = region
    return regions, tally


def _icb_values(icb: IcbRecord, regions: dict[str, Region]) -> dict[str, object]:
    return {
        "name": icb.display_name,
        "kind": OrganisationKind.ICB,
        "trust_type": "",
        "icb_id": None,
        "region_id": regions[icb.region_code].pk,
        "postcode": icb.postcode,
        "is_active": True,
    }


def _trust_values(
    trust: TrustRecord, regions: dict[str, Region], icb_ids: dict[str, int]
) -> dict[str, object]:
    return {
        "name": trust.display_name,
        "kind": OrganisationKind.TRUST,
        "icb_id": icb_ids[trust.icb_code],
        "region_id": regions[trust.region_code].pk,
        "postcode": trust.postcode,
        "address": trust.display_address[:300],
        "is_active": True,
    }


def _upsert(
    existing: dict[str, Organisation], code: str, values: dict[str, object], tally: _Tally
) -> Organisation:
    org = existing.get(code)
    if org is None:
        org = Organisation.objects.create(ods_code=code, **values)
        existing[code] = org
        tally.created += 1
        return org
    changed = [field for field, value in values.items() if getattr(org, field) != value]
    if not changed:
        tally.unchanged += 1
        return org
    for field in changed:
        setattr(org, field, values[field])
    org.save(update_fields=changed)
    tally.updated += 1
    return org


def _deactivate(
    existing: dict[str, Organisation], codes: frozenset[str], kind: str, tally: _Tally
) -> None:
    for code in sorted(codes):
        org = existing.get(code)
        if org is not None and org.kind == kind and org.is_active:
            org.is_active = False
            org.save(update_fields=["is_active"])
            tally.deactivated += 1


def _ensure_national() -> bool:
    national, created = Organisation.objects.get_or_create(
        ods_code=NATIONAL_ODS_CODE,
        defaults={"name": NATIONAL_NAME, "kind": OrganisationKind.NATIONAL},
    )
    if not created and (national.name, national.kind, national.is_active) != (
        NATIONAL_NAME,
        OrganisationKind.NATIONAL,
        True,
    ):
        national.name, national.kind, national.is_active = (
            NATIONAL_NAME,
            OrganisationKind.NATIONAL,
            True,
        )
        national.save(update_fields=["name", "kind", "is_active"])
    return created


def _ensure_cqc() -> bool:
    cqc, created = Organisation.objects.get_or_create(
        ods_code=CQC_ODS_CODE, defaults={"name": CQC_NAME, "kind": OrganisationKind.CQC}
    )
    if not created and (cqc.name, cqc.kind, cqc.is_active) != (
        CQC_NAME,
        OrganisationKind.CQC,
        True,
    ):
        cqc.name, cqc.kind, cqc.is_active = CQC_NAME, OrganisationKind.CQC, True
        cqc.save(update_fields=["name", "kind", "is_active"])
    return created
