import logging

import pytest
from hypothesis import given, strategies as st

from bot.core.phone import (
    PhoneMaskingFilter, is_mainland_mobile, mask_phone, mask_phones_in_text, normalise_phone,
)


@pytest.mark.parametrize("text, expected", [
    ("13812345678", "13812345678"),
    ("138 1234 5678", "13812345678"),
    ("138-1234-5678", "13812345678"),
    (" +86 138 1234 5678 ", "13812345678"),
    ("+86-13812345678", "13812345678"),
    ("0086 13812345678", "13812345678"),
    ("8613812345678", "13812345678"),
    ("１３８１２３４５６７８", "13812345678"),  # full-width digits
    ("＋８６ １９９１２３４５６７８", "19912345678"),
    ("0531-86001234", "053186001234"),
    ("(0531) 8600 1234", "053186001234"),
    ("（0531）86001234", "053186001234"),
    ("010-12345678", "01012345678"),
    ("0631-5201234", "06315201234"),  # 7-digit local number
    ("+86 531 8600 1234", "053186001234"),  # international form drops the trunk 0
])
def test_normalise(text, expected):
    assert normalise_phone(text) == expected


@pytest.mark.parametrize("text", [
    None, "", "abc", "12812345678", "1381234567", "138123456789", "23812345678",
    "0531-123", "1381234567x", "86 0531 86001234 99", "138一二三四五六七八",
])
def test_normalise_rejects(text):
    assert normalise_phone(text) is None


def test_is_mainland_mobile():
    assert is_mainland_mobile("+86 138 1234 5678")
    assert not is_mainland_mobile("0531-86001234")
    assert not is_mainland_mobile("12345")


@pytest.mark.parametrize("text, masked", [
    ("13812345678", "138****5678"),
    ("+86 138-1234-5678", "138****5678"),
    ("0531-86001234", "0531****1234"),
    ("010-12345678", "010****5678"),
    ("020 87654321", "020****4321"),
])
def test_mask(text, masked):
    assert mask_phone(text) == masked


def test_mask_refuses_non_numbers():
    with pytest.raises(ValueError):
        mask_phone("not a phone")


@given(st.from_regex(r"\A1[3-9][0-9]{9}\Z"), st.sampled_from(["{}", "+86 {}", "0086{}", "{1} {2} {3}", "{1}-{2}-{3}"]))
def test_mask_any_mobile(number, template):
    text = template.format(number, number[:3], number[3:7], number[7:]) if "{1}" in template else template.format(number)
    assert normalise_phone(text) == number
    assert mask_phone(text) == f"{number[:3]}****{number[7:]}"
    assert mask_phones_in_text(f"业主电话:{text}。") == f"业主电话:{number[:3]}****{number[7:]}。"


def test_mask_in_text_leaves_other_numbers():
    text = "工单WY-20260301-0001,身份证370102199001011234,3号楼2单元301,金额1380元"
    assert mask_phones_in_text(text) == text
    assert mask_phones_in_text("联系138 1234 5678或0531-86001234") == "联系138****5678或0531****1234"
    assert mask_phones_in_text("电话１３８１２３４５６７８") == "电话138****5678"


@pytest.fixture
def captured():
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    logger = logging.getLogger("test.phone.masking")
    handler = Keep()
    handler.addFilter(PhoneMaskingFilter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, records
    logger.removeHandler(handler)


def test_filter_masks_message_and_args(captured):
    logger, records = captured
    logger.info("resident 13812345678 called")
    logger.info("resident %s called about %s", "+86 139-1234-5678", "电梯")
    logger.info("number as int %d", 13712345678)
    logger.info("landline %s", "0531-86001234")
    assert records == [
        "resident 138****5678 called",
        "resident 139****5678 called about 电梯",
        "number as int 137****5678",
        "landline 0531****1234",
    ]


def test_filter_masks_tracebacks(captured):
    logger, records = captured
    try:
        raise ValueError("bad phone 13812345678")
    except ValueError:
        logger.exception("failed for %s", "13812345678")
    assert "13812345678" not in records[0]
    assert records[0].startswith("failed for 138****5678")
    assert "bad phone 138****5678" in records[0]


def test_installed_masking_covers_every_logger(caplog):
    import logging

    from bot.core.phone import install_log_masking

    install_log_masking()
    handler = logging.getLogger().handlers[0]
    record = logging.LogRecord("some.library", logging.INFO, __file__, 1,
                               "resident %s called", ("13812345678",), None)
    assert all(f.filter(record) for f in handler.filters)
    assert record.getMessage() == "resident 138****5678 called"
