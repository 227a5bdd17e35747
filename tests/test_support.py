"""Splitting generated answers into sentences and markers."""

from rag.answer.support import Claim, WordWeights, content_words, near_words, split_answer


def test_markers_after_a_full_stop_belong_to_that_sentence():
    assert split_answer("Banks may trade gold. [1][2] Caps stay at 50% [3, 4].") == [
        Claim("Banks may trade gold.", (1, 2)),
        Claim("Caps stay at 50%.", (3, 4)),
    ]


def test_markers_that_open_sentences_belong_to_the_sentence_they_open():
    assert split_answer("[1] Banks may trade gold. [2] Caps stay at 50%.") == [
        Claim("Banks may trade gold.", (1,)),
        Claim("Caps stay at 50%.", (2,)),
    ]


def test_document_numbers_and_bullets_do_not_split_sentences():
    assert split_answer("- Reply No. 123 keeps it in force [1].\n- Apply to the bureau [2]") == [
        Claim("Reply No. 123 keeps it in force.", (1,)),
        Claim("Apply to the bureau", (2,)),
    ]


def test_a_copied_format_placeholder_is_not_part_of_the_sentence():
    assert split_answer("[1] Foreign shareholding not exceeding 50% [n]") == [
        Claim("Foreign shareholding not exceeding 50%", (1,))
    ]


def test_a_noun_in_ization_shares_its_stem_with_its_verb():
    assert content_words("securitizing intellectual property") == content_words("intellectual property securitization")


def test_an_irregular_plural_shares_its_stem_with_its_singular():
    assert content_words("children of foreign personnel") >= content_words("a child")


def test_a_companys_listing_is_not_a_negative_list():
    assert content_words("an A-share listing") & content_words("the negative list") == set()
    listed, platform = content_words("NEEQ-listed companies"), content_words("a domestic listing platform")
    assert listed & platform == content_words("listing")


def test_a_long_word_spelled_one_letter_apart_is_the_same_word_a_short_one_is_not():
    # The 2019 plan spells "Zhongguanchun"; "complete" and "compete" (8 letters) are different words.
    held = content_words("solely foreign-funded institutions in Zhongguanchun may compete")
    assert near_words(content_words("Zhongguancun complete"), held, 9) == content_words("Zhongguancun")
    weights = WordWeights(["Zhongguanchun", "foreign institutions"])
    assert weights.recall("Zhongguancun", "institutions in Zhongguanchun") == 0.0
    assert weights.recall("Zhongguancun", "institutions in Zhongguanchun", near_letters=9) == 1.0


def test_pronouns_and_the_rest_of_a_contraction_are_not_content_words():
    # "my" would match "my country's" in the 2020 plan; "I'm" leaves an "m"
    assert content_words("I'm told my kids and us") == content_words("told kids")


def test_a_claim_naming_a_place_its_source_does_not_name_is_not_supported_by_it():
    from rag.answer.support import new_places

    line = "District-level responsible departments: the Financial Services Office of Dongcheng District"
    claim = "The Chaoyang District department plays the role that Dongcheng's Financial Services Office plays"
    assert new_places(claim, line) == {"chaoyang"}
    assert not new_places("Dongcheng's Financial Services Office handles it", line)
    assert not new_places("Support for Xiongan New Area", "Supporting the construction of Hebei Xiong'an New Area")
