from bot.nlu.entities import EntityExtractor, normalize_value
from bot.nlu.textclf import words


def pairs(text):
    return [(e["entity"], e["value"]) for e in EntityExtractor(["阳光花园"]).extract(text)]


def test_address_parts_are_normalised():
    assert pairs("我住在龙湖春江郦城三号楼二单元1202") == [
        ("estate", "龙湖春江郦城"), ("building", "3"), ("unit", "2"), ("room", "1202")]
    assert pairs("阳光花园小区3-2-501楼上漏水")[:4] == [
        ("estate", "阳光花园"), ("building", "3"), ("unit", "2"), ("room", "501")]
    assert ("building", "12") in pairs("十二号楼的电梯")
    assert ("building", "A") in pairs("A座的门禁坏了")
    assert ("room", "301") in pairs("7幢301户")


def test_traditional_and_full_width_text():
    assert ("building", "5") in pairs("５號樓電梯壞了")
    assert ("phone", "13912345678") in pairs("電話１３９１２３４５６７８")


def test_phone_formats_and_no_rooms_inside_phones():
    assert pairs("电话139-1234-5678") == [("phone", "13912345678")]
    assert pairs("联系电话 0531-86012345") == [("phone", "0531-86012345")]
    assert pairs("打13812345678找我") == [("phone", "13812345678")]


def test_time_expressions():
    assert ("time", "昨天晚上8点") in pairs("昨天晚上8点开始漏水")
    assert ("time", "三天了") in pairs("坏了三天了")


def test_no_estate_from_ordinary_words():
    assert pairs("小区里面很脏") == []
    assert pairs("我和邻居说了") == []


def test_values_of_mentions():
    assert normalize_value("estate", "翠湖苑小区") == "翠湖苑"
    assert normalize_value("unit", "第三单元") == "3"


def test_user_dictionary_keeps_domain_words_whole():
    tokens = words("3号楼的飞线充电和二次供水")
    assert "号楼" in tokens and "飞线充电" in tokens and "二次供水" in tokens


def test_room_right_after_a_building_and_durations():
    assert ("room", "1402") in pairs("3号楼1402漏水")
    assert ("time", "一个礼拜") in pairs("坏了一个礼拜")
    assert ("estate", "桃源") in pairs("连人带车掉进桃源小区的坑里")


def test_words_before_an_estate_are_not_part_of_its_name():
    assert pairs("地址为山大新村3号楼")[0] == ("estate", "山大新村")
    assert not [p for p in pairs("因为小区门口在修路,隔壁小区也一样") if p[0] == "estate"]
    assert not [p for p in pairs("本小区电梯坏了,负责贵小区的物业不管") if p[0] == "estate"]
    assert ("estate", "全运村") in pairs("全运村小区停车难")
