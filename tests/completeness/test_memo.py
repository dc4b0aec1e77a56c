"""The evaluator a server keeps for its whole life remembers reasons per profile: its memos keep
only the newest entries, so that a worker answering one system after another on a varied
agency does not grow without end, and what was forgotten is worked out again the same."""

from tests.completeness.test_engine import catalogue_of, requirement, snapshot, system
from tracker.completeness import engine, explaining
from tracker.completeness.engine import Evaluator
from tracker.completeness.memo import remember
from tracker.i18n.text import joined


def test_remember_forgets_the_oldest_entries_beyond_the_limit():
    memo: dict[str, int] = {}
    for number in range(10):
        assert remember(memo, f"k{number}", number, limit=4) == number
    assert list(memo) == ["k6", "k7", "k8", "k9"]


def test_reasons_of_many_profiles_stay_bounded_and_are_recomputed_alike(monkeypatch):
    monkeypatch.setattr(engine, "WHYS_KEPT", 3)
    monkeypatch.setattr("tracker.completeness.memo.PROFILES_KEPT", 5)
    dpia = requirement(applies_when='vendor != "nobody"')
    evaluator = Evaluator(catalogue_of(dpia), 30, long_lived=True)

    def reasons(count: int) -> list[str]:
        result = evaluator.evaluate(system(vendor=f"Vendor {count}"), snapshot(), detail=True)
        return [str(item.why) for item in result.items]

    first = {count: reasons(count) for count in range(3, 20)}
    assert len(evaluator._why_memo) <= 3
    assert len(evaluator._applicable) <= 5
    assert {count: reasons(count) for count in range(3, 20)} == first
    assert all("vendor" in why.lower() for lines in first.values() for why in lines)


def test_an_evaluator_made_for_a_batch_keeps_every_profile_while_it_lives(monkeypatch):
    monkeypatch.setattr(engine, "WHYS_KEPT", 3)
    dpia = requirement(applies_when='vendor != "nobody"')
    evaluator = Evaluator(catalogue_of(dpia), 30)  # a sweep's chunk, every system's detail
    for count in range(3, 20):
        evaluator.evaluate(system(vendor=f"Vendor {count}"), snapshot(), detail=True)
    assert len(evaluator._why_memo) == 17 and len(evaluator._applicable) == 17


def test_a_requirements_reasons_are_shared_by_profiles_differing_in_facts_it_does_not_read():
    by_vendor = requirement("test.vendor", applies_when='vendor != "nobody"')
    by_risk = requirement("test.risk", applies_when='risk_level == "high"')
    evaluator = Evaluator(catalogue_of(by_vendor, by_risk), 30, long_lived=True)

    def whys(**profile) -> dict[str, str]:
        result = evaluator.evaluate(system(**profile), snapshot(), detail=True)
        return {item.requirement_id: item.why for item in result.items}

    first, second = whys(vendor="Acme"), whys(vendor="Globex")
    # The risk rule reads the same value: one line, made once; the vendor's differ.
    assert first["test.risk"] is second["test.risk"]
    assert "Acme" in first["test.vendor"] and "Globex" in second["test.vendor"]
    for profile, found in (({"vendor": "Acme"}, first), ({"vendor": "Globex"}, second)):
        fact = system(**profile)
        for rid, why in found.items():  # exactly the verdict's reasons, joined
            assert why == str(
                joined(
                    evaluator.verdict(
                        fact, evaluator.catalogue.requirements[rid], snapshot().as_of
                    ).reasons
                )
            )
    assert whys(vendor="Acme", risk_level="low")["test.vendor"] is first["test.vendor"]


def test_a_long_lived_evaluator_keeps_a_bounded_number_of_reason_lines(monkeypatch):
    monkeypatch.setattr(explaining, "EXPLANATIONS_KEPT", 4)
    dpia = requirement(applies_when='vendor != "nobody"')
    evaluator = Evaluator(catalogue_of(dpia), 30, long_lived=True)

    def reason(count: int) -> str:
        return evaluator.evaluate(system(vendor=f"Vendor {count}"), snapshot()).items[0].why

    first = {count: str(reason(count)) for count in range(12)}
    assert len(evaluator._line_memo) <= 4
    assert {count: str(reason(count)) for count in range(12)} == first
