"""The bottom line (rag.answer.verdict): verdicts decided from the answering sentence's markers, and model leads
that contradict their source never shown. The sentences are the corpus's own wording of each class."""

from __future__ import annotations

import pytest

from rag.answer.decisive import decisive_clause
from rag.answer.opening import Tie, lead_conflicts, needs_lead, opening
from rag.answer.readings import read
from rag.answer.support import WordWeights
from rag.answer.verdict import decide_verdict, names_excluded, settles
from rag.core.questions import first_yes_no, is_yes_no

ACCREDITATION = (
    "We shall eliminate the requirement that the foreign investor should obtain the approval of a recognized "
    "accreditation body in their country or region and have more than 3 years of business experience in "
    "accreditation related activities."
)
ESG = "Enterprises will be encouraged to voluntarily abide by Beijing's ESG disclosure standards."
LAWYERS = "Appropriately lower the criteria on practicing years of foreign lawyers who are hired as legal consultants."
SOCIAL_INSURANCE = (
    "When returning to home country at the end of their employment, foreign talents are allowed to withdraw social "
    "insurance funds paid in Beijing and terminate the social insurance agreement, or retain the social insurance "
    "agreement for future accumulation."
)
VPN = "Open domestic Internet virtual private network services to foreign investors (with foreign shareholding not exceeding 50%)."
APP_STORE = "Cancel the restrictions on foreign shareholding in information service business (online publishing services not included)."
BONDS = "We will study how to allow foreign banks in Beijing to carry out treasury bond futures trading."
APP_STORE_2023 = (
    "Foreign equity ratio restrictions are to be lifted on value-added telecommunications and information services "
    "(app stores only, online publishing services not included), with consideration to further expand the "
    "opening-up of value-added telecommunications services at an appropriate time."
)
TRAVEL = (
    "We shall allow foreign-owned travel agencies in Beijing to pilot the operation of outbound tourism business for "
    "Chinese citizens (except for going to Taiwan)."
)
TAX_CAP = "During the pilot period, increase the exemption of technology transfer income from 5 million yuan to 20 million yuan."
TEST_VEHICLES = (
    "For R&D testing vehicles temporarily imported by qualified enterprises, allow the period of temporary import to be "
    "extended to two years according to testing needs."
)
TELECOM = (
    "Lift the limits on foreign stake in such value-added telecom services as store-and-forward services in the "
    "demonstration area and exemplary park for the pilot program."
)
BROKERAGE = (
    "Select special areas with the concentration of cultural and entertainment enterprises, and allow them to "
    "establish solely foreign-funded performance brokerage institutions, which may provide services across the country."
)
SOCIAL_DATA = (
    "Accelerate the promotion of public data openness, guide social organizations to open their own data in accordance"
    " with the law."
)
GREEN_EXCHANGE = (
    "Support will be provided to the China Beijing Green Exchange as it builds a national unified voluntary greenhouse"
    " gas emission reduction trading center and gradually expands its trade product line."
)
SCIENTISTS = (
    "Carry out pilot projects to facilitate the cross-border flow of innovative elements, and support foreign "
    "scientists to take the lead in undertaking government-supported science and technology projects."
)
FUNDS = "Support wholly foreign-owned enterprises to apply to become private fund managers."
EXHIBITS = (
    "We shall optimise international exhibition services and exempt certain exhibits from quarantine and inspection."
)
ACCESS = "Cancel the restrictions on foreign shareholding in Internet access services."
RESTRICTIONS = (
    "We shall improve the rule system, and study the measures for further relaxing or lifting the restrictions."
)
INVESTMENT_COMPANY = (
    "relax the conditions for foreigners to apply for establishing an investment company, lower the total asset "
    "threshold of a foreign investor one year before the application to US$ 200 million, and remove the requirements "
    "for the quantity of foreign-funded enterprises incorporated in China by a foreign investor"
)
DEVICES = (
    "We shall carry out the pilot program of the medical device registrant system, allowing Beijing medical device "
    "registrants to entrust medical device manufacturers in Beijing, Tianjin and Hebei to produce medical devices."
)
TALENTS = (
    'The eligible "top, cutting-edge and rare" foreign talents can enjoy "Green Channel" services for work permits'
)
EXAMS = (
    "Except for national sovereignty and security, foreigners are allowed to apply for my country's relevant"
    " professional qualification examinations in Beijing (excluding legal professional qualification examinations)"
)
VENTURE_TAX = (
    "In the Zhongguancun National Independent Innovation Demonstration Zone, a pilot program of preferential "
    "corporate income tax policies for corporate venture capital will be carried out."
)
THRESHOLD = "The required amount of total assets of a foreign investor is reduced to be not less than US $ 200 million"
VISAS = (
    "Senior management personnel of foreign enterprises intending to establish branches or subsidiaries in Beijing "
    "will be issued visas or residence permits valid for up to two years."
)
DAXING = (
    "Based on specific areas of Beijing Daxing International Airport's Airport Economic Zone, we will carry out pilot "
    "projects in the areas of new digital economy access, digital services, and international resource introduction, "
    "and explore new businesses such as data auditing."
)
DERIVATIVES = (
    "We shall actively support qualified enterprises in the service sector in going public; explore the trading in "
    "futures, options and other derivatives that will help the service sector to open up; and provide more fund "
    "support to the construction of Beijing City Sub-center."
)
FINANCING = (
    "We shall put into effect the three-year action plan for technological services, and encourage venture capital "
    "investors to strengthen cooperation with financial institutions and explore new modes of financing "
    "technological services."
)


@pytest.mark.parametrize(
    "question, sentence, verdict",
    [
        ("Do foreign certification bodies still need 3 years of accreditation experience?", ACCREDITATION, "no"),
        ("Was the 3-year experience requirement for accreditation bodies dropped?", ACCREDITATION, "yes"),
        ("Will companies have to follow Beijing's ESG standards?", ESG, "no"),
        ("Must foreign lawyers still have practised for the full number of years?", LAWYERS, "no"),
        # an option ("allowed to withdraw ..., or retain ...") is no obligation, and is a grant to one who asks for it
        ("Is he required to close out his Beijing social insurance when he leaves?", SOCIAL_INSURANCE, "no"),
        ("Can foreign talents withdraw their Beijing social insurance when they go home?", SOCIAL_INSURANCE, "yes"),
        ("Can we own 100% of a VPN joint venture?", VPN, "no"),
        ("Can foreign investors hold more than 50% of a VPN joint venture?", VPN, "no"),
        ("Can foreign investors run VPN services?", VPN, "yes_conditions"),
        ("Is online publishing covered by the app store opening?", APP_STORE, "no"),
        ("Can foreign banks trade treasury bond futures in Beijing?", BONDS, "not_yet"),
        ("Is the technology transfer income tax exemption still capped at RMB 5 million?", TAX_CAP, "no"),
        ("Can a foreign-owned travel agency run tours to Taiwan?", TRAVEL, "no"),
        (
            "Can our travel agency sell outbound tours to Chinese citizens, Taiwan trips included?",
            TRAVEL,
            "yes_conditions",
        ),
        ("Is Beijing going to open outbound tourism to foreign-owned travel agencies?", TRAVEL, "yes_conditions"),
        ("Does the app store opening extend to online publishing?", APP_STORE_2023, "no"),
        ("Will value-added telecom services open further?", APP_STORE_2023, "not_yet"),
        ("Are foreign certification bodies now exempt from the experience requirement?", ACCREDITATION, "yes"),
        ("We're a WFOE. Could we register as a private fund manager?", FUNDS, "yes"),
        # asked whether a requirement was scrapped, a lowering of it is a No; asked whether it was eased, a Yes
        ("Has the rule on foreign lawyers' years of practice been scrapped?", LAWYERS, "no"),
        ("Were the practising-years criteria for foreign lawyers relaxed?", LAWYERS, "yes"),
        # a removal for some only is a Yes with conditions; asked for all of them, a No (two writers of three)
        ("Will our exhibits be exempt from quarantine?", EXHIBITS, "yes_conditions"),
        ("Will all our exhibits be exempt from quarantine?", EXHIBITS, "no"),
        ("Will all of it be exempt from quarantine?", EXHIBITS, "no"),  # "all of it" asks for everything too
        # a part named in a bracket after the clause asked, or in the subject granted to, limits the grant for "all"
        (
            "Are caps on information services in general scrapped?",
            "Cancel the caps on information services (app store only)",
            "no",
        ),
        ("Are caps on app stores scrapped?", "Cancel the caps on information services (app store only)", "yes"),
        # the change stated as the premise, the ask about every business of the kind ("all ... businesses")
        (
            "Did the cancellation of the caps mean that all information services businesses could be 100% foreign?",
            "Cancel the caps on information services (app store only)",
            "no",
        ),
        ("They'll all get the green channel for work permits, right?", TALENTS, "no"),
        ("Do they get the green channel for work permits?", TALENTS, "yes_conditions"),
        # the verdict answers the first ask; "still" in the second does not make it a requirement question
        ("Can we hold 100% of an Internet access business, or does the equity cap still apply?", ACCESS, "yes"),
        ("Does the equity cap on Internet access services still apply?", ACCESS, "no"),
        # a plan decides only in a clause about what was asked, not a long sentence's plan for another measure
        ("Will new ways of financing tech services be tried?", FINANCING, "not_yet"),
        ("Can our talent agency open a performance brokerage?", FINANCING, "yes"),
        # "still" before a plan word asks about status, not whether a requirement stays
        ("What is the rule system, and is it in place already or is it still being studied?", RESTRICTIONS, "not_yet"),
        ("Do the restrictions still apply?", RESTRICTIONS, "no"),
        # a sentence changing two things answers about the one asked: the threshold was lowered, the count removed
        ("Did the plan get rid of the total-asset test for the foreign parent altogether?", INVESTMENT_COMPANY, "no"),
        ("Was the rule on how many FIEs the investor has in China removed?", INVESTMENT_COMPANY, "yes"),
        # a pilot under way is a grant limited to its trial, not a plan; asked for everyone, a place-limited grant is No
        ("Can we have our devices made by a contract manufacturer in Hebei?", DEVICES, "yes_conditions"),
        ("Are all corporate VC firms in Beijing now fully exempt from corporate income tax?", VENTURE_TAX, "no"),
        ("Does the tax pilot for corporate venture capital apply anywhere in Beijing?", VENTURE_TAX, "no"),
        # a wh-question then a yes-or-no ask: the clause the ask names decides, not the one the wh-part shares words with
        ("What are the pilot projects for the digital economy there? Can data auditing be done?", DAXING, "not_yet"),
        # a clause a comma cut from its verb keeps it: the options are to be explored with the futures
        ("Does the plan open trading in options for the service sector?", DERIVATIVES, "not_yet"),
        ("Can service-sector companies in Beijing go public?", DERIVATIVES, "yes_conditions"),  # "qualified"
        # a figure put above a stated limit, in the same unit, is a No; one within it is not
        ("Can our CEO get a 5-year residence permit?", VISAS, "no"),
        ("Can our CEO get a one-year residence permit?", VISAS, "yes"),
        # the asker's own figure below a stated least, money included, whatever the change ("relaxed") around it
        ("Our parent had total assets of US$150m. Is that enough under the relaxed threshold?", THRESHOLD, "no"),
        (
            "Our parent had total assets of USD 0.3 billion. Is that enough under the relaxed threshold?",
            THRESHOLD,
            "yes",
        ),
        # an item the exclusion names, asked after the grant was stated, is a No
        ("The plan opened the app stores - does that also cover online publishing?", APP_STORE_2023, "no"),
        # the reach of the grant asked in the same ask ("does the lifting also cover ...?") is about the item alone
        (
            "Does the lifting of foreign equity limits on value-added telecom also cover network publishing services?",
            APP_STORE_2023,
            "no",
        ),
        # the exclusion that names the item decides, though another exclusion comes first in the sentence
        ("Can foreigners sit the legal professional qualification exam?", EXAMS, "no"),
        ("Can I sit professional qualification exams, including the bar exam?", EXAMS, "yes_conditions"),
        # a statement with a tag asks yes or no; "available to any company" asks for everyone
        ("I heard the three-year rule for foreign lawyers was scrapped. true?", LAWYERS, "no"),
        ("Is the corporate income tax pilot available to any company in Beijing?", VENTURE_TAX, "no"),
        # a raise sets the new most ("extended to two years", "from 5 million yuan to 20 million yuan"); "tax-exempt"
        # is a tax benefit, not a removal asked
        ("Can our temporarily imported test vehicles stay for 3 years?", TEST_VEHICLES, "no"),
        ("Is the whole RMB 25m of our technology transfer income tax-exempt?", TAX_CAP, "no"),
        # the whole country asked, over a grant in the pilot areas; not where the sentence reaches the whole country
        ("Were the limits on store-and-forward services lifted across all of China?", TELECOM, "no"),
        ("Could our brokerage book shows all over China?", BROKERAGE, "yes"),
        # a pilot in another clause of the sentence does not condition the grant asked about
        ("Can foreign scientists lead government-funded projects?", SCIENTISTS, "yes"),
        # a requirement asked to stay as it was, or to be tightened, is answered No by a lowering
        ("Is the practice-years rule for hired foreign lawyers staying as strict as before?", LAWYERS, "no"),
        ("Is the total-asset threshold for foreign investors being made tougher?", THRESHOLD, "no"),
        ("Will our company be compelled to disclose under Beijing's ESG standards?", ESG, "no"),
        # guidance is the documents' word for encouragement: not an obligation
        ("Will social organizations be compelled to publish their own data?", SOCIAL_DATA, "no"),
        # an emission reduction names a market, not a lowering: asked whether it is mandatory, "voluntary" says No
        ("Is the national emissions reduction exchange a mandatory market?", GREEN_EXCHANGE, "no"),
    ],
)
def test_the_verdict_follows_the_answering_sentences_polarity_and_modality(question, sentence, verdict):
    assert decide_verdict(question, read(sentence, 1))[0] == verdict


def test_yes_or_no_is_found_after_a_business_preamble_but_not_in_a_wh_question():
    assert is_yes_no("We're a UK live-events agency. Could we set up a brokerage in Beijing?")
    assert is_yes_no("So the same goes for our portal, right?")
    assert is_yes_no("The cap was lifted in 2020 - correct?")
    assert (
        first_yes_no("We're a law firm. I heard the rule was scrapped. true?") == "I heard the rule was scrapped, true?"
    )
    assert not is_yes_no("Which department handles accreditation in Dongcheng?")


def test_a_verbless_ask_of_permission_or_sufficiency_is_yes_or_no_but_a_figure_asked_is_not():
    assert first_yes_no("Foreign banks + gold futures - permitted?") == "Foreign banks + gold futures, permitted?"
    assert is_yes_no("foreign bank branch - bond futures trading allowed under the 2020 plan?")
    assert is_yes_no("Parent had USD 150m of assets. Enough to set up an investment company?")
    assert is_yes_no("I hold a permanent residence card - am I able to start a company?")
    assert not is_yes_no("Max foreign stake allowed in a life insurance JV in Beijing under these plans?")
    assert not is_yes_no("Which trades are allowed under the 2020 plan?")


def test_a_terse_ask_of_support_obligation_or_status_after_its_subject_is_yes_or_no_but_a_wh_question_is_not():
    assert is_yes_no("Aircraft MRO company in Beijing: supported by the 2019 plan?")
    assert is_yes_no("ETFs on the Beijing Stock Exchange - tradable already per the 2023 plan?")
    assert is_yes_no("Dongcheng employers: obliged to set up enterprise annuities for senior expat hires?")
    assert is_yes_no("Airlines required to station freighter fleets at Daxing?")
    assert is_yes_no("App store operator in Haidian Park: foreign ownership ceiling still applies?")
    assert not is_yes_no("Which employers are obliged to set up annuities?")
    assert not is_yes_no("Our app store is supported by the district. What does the 2019 plan say?")


def test_yes_or_no_is_found_after_an_opening_phrase_and_in_an_any_question_but_not_after_a_wh_word():
    assert is_yes_no("Under the 2023 plan, is there still a foreign equity cap we'd have to live with?")
    assert is_yes_no("Under the district's plan can we sell outbound tours to Chinese citizens?")
    assert is_yes_no("Any help getting online audiovisual licences?")
    assert not is_yes_no("Under the 2023 plan, which office can we ask about the cap?")
    assert not is_yes_no("If we qualify, how long can we stay?")


def test_yes_or_no_is_found_after_a_subordinate_clause_and_in_a_question_cut_at_its_second_ask():
    assert is_yes_no("When our employee leaves China for good, is she required to cash out her social insurance?")
    assert is_yes_no("Under the 2023 plan, is pre-mediation compulsory before we can litigate?")
    assert is_yes_no("Under the 2023 plan can senior managers of foreign companies get a 5-year visa?")
    two_asks = "Under the 2019 plan, can we set up a 100% foreign-owned maintenance company, or do we still need a JV?"
    assert first_yes_no(two_asks).startswith("Under the 2019 plan, can we")
    # a statement cut from the front of a question asks nothing
    assert first_yes_no("Our company is a WFOE - can we sell tours?") == "can we sell tours?"


def test_a_follow_up_opening_with_discourse_words_or_a_negative_contraction_asks_yes_or_no():
    assert is_yes_no("ok but wasn't that already allowed under the 2020 plan?")
    assert is_yes_no("and anything about catastrophe bonds there?")
    assert not is_yes_no("ok so which office handles it?")


def test_everywhere_asked_as_an_alternative_is_no_over_a_place_limited_grant_but_not_as_a_second_ask():
    reading = read(VENTURE_TAX, 1)
    assert decide_verdict("Does that apply to our firm in Chaoyang, or anywhere in Beijing?", reading)[0] == "no"
    second = "Can our VC firm join the tax pilot, and would it be allowed to invest anywhere in China?"
    assert decide_verdict(second, reading)[0] == "yes_conditions"


def test_a_later_sentence_of_the_answering_paragraph_decides_when_it_holds_what_was_asked():
    aim = read("We shall find ways to further optimise de-registration procedure by streamlining it", 1)
    change = read(
        "We shall expand the scope of its application, reduce the period an announcement is put out, establish a "
        "fault tolerance mechanism and explore the establishment of an online service zone for corporate "
        "de-registration via the integrated government service platform",
        1,
    )
    other = read("We shall reduce fees for foreign banks", 2)  # another paragraph: never the answering one
    lawyers = read("We shall lower the criterion that the foreign lawyer must have 3 years of practice", 1)
    asked = "Will we still have to sit through the full public-notice period before de-registration?"
    assert opening(asked, [aim, change], "").verdict == "no"
    assert opening(asked, [aim, other], "").verdict == "not_yet"  # the aim alone: only planned
    assert opening("Is de-registration simpler now?", [aim, change], "").verdict == "not_yet"  # no change asked
    research = "Can de-registration go online now, or is it still in the research phase?"  # another matter
    assert opening(research, [aim, lawyers], "").verdict == "not_yet"
    # a figure asked is answered by the sentence of the paragraph that bounds one
    relax = read("We shall relax the application criteria for the establishment of investment companies", 1)
    enough = "Our parent had total assets of US$150m. Is that enough under the relaxed criteria?"
    assert opening(enough, [relax, read(THRESHOLD, 1)], "").verdict == "no"
    assert opening(enough, [relax, read(THRESHOLD, 2)], "").verdict == "yes"  # another paragraph's bound: not read
    # a figure within the later sentence's bound leaves the first sentence, and the place it limits the grant to
    pilot = read("Launch a pilot tax policy in a specific area of the Zhongguancun Demonstration Zone", 1)
    anyone = "Is the RMB 20 million exemption available to any company in Beijing?"
    assert opening(anyone, [pilot, read(TAX_CAP, 1)], "").verdict == "no"


@pytest.mark.parametrize(
    "lead, sentence, why",
    [
        (
            "Yes, foreign-invested certification bodies still need 3 years of accreditation experience [1].",
            ACCREDITATION,
            "opposite",
        ),
        ("Companies must follow Beijing's ESG disclosure standards [1].", ESG, "requirement_over_voluntary"),
        (
            "Foreign lawyers must have practised abroad for at least three years [1].",
            LAWYERS,
            "requirement_over_lowering",
        ),
        ("Foreign banks are allowed to trade treasury bond futures [1].", BONDS, "grant_over_plan"),
        ("Foreign investors may own 100% of VPN businesses [1].", VPN, "full_over_cap"),
        ("Foreign investors can hold more than 50% of a VPN joint venture [1].", VPN, "full_over_cap"),
        ("The passage discusses private fund managers [1].", FUNDS, "meta"),
    ],
)
def test_a_lead_that_contradicts_what_it_cites_is_never_shown(lead, sentence, why):
    question = "Do they still need it?" if sentence is ACCREDITATION else "What does the plan say?"
    reading = read(sentence, 1)
    verdict = decide_verdict(question, reading)[0] if is_yes_no(question) else None
    assert lead_conflicts(lead, verdict, [reading]) == why
    shown = opening(question, [reading], lead)
    assert shown.dropped == why and lead not in shown.text


def test_a_faithful_lead_follows_the_verdict_without_its_own_yes():
    lead = "Yes, but foreign shareholding may not exceed 50% [1]."
    shown = opening("Can foreign investors run VPN services?", [read(VPN, 1)], lead)
    assert shown.verdict == "yes_conditions" and shown.dropped == ""
    assert shown.text == (
        "Yes, with conditions: “Open domestic Internet virtual private network services to foreign investors "
        "(with foreign shareholding not exceeding 50%)” [1]. But foreign shareholding may not exceed 50% [1]."
    )


def test_a_plain_yes_is_shown_only_when_the_model_says_yes_too_or_the_sentence_grants_what_was_asked():
    question = "Could a WFOE register as a private fund manager?"
    assert opening(question, [read(FUNDS, 1)], "").verdict is None  # no marker decides, no model agrees
    assert opening(question, [read(FUNDS, 1)], "Yes, the plan supports it [1].").verdict == "yes"
    tie = Tie(WordWeights([FUNDS, GOLD, VPN, TRAVEL, ESG, LAWYERS, ACCREDITATION, BONDS]), 0.55)
    # a sentence that grants the ask in most of its own words says Yes without the model
    asked = "Does the 2020 plan let foreign banks obtain the PBOC gold import licence?"
    assert opening(asked, [read(GOLD, 1)], "", tie=tie).verdict == "yes"
    assert not needs_lead(asked, [read(GOLD, 1)], None, tie)
    # but not for an ask its words do not hold, nor one a grant cannot answer (a requirement, full ownership)
    assert opening("Can foreign banks open branches in Tianjin?", [read(GOLD, 1)], "", tie=tie).verdict is None
    required = "Do foreign banks still need a PBOC gold import licence?"
    assert opening(required, [read(GOLD, 1)], "", tie=tie).verdict is None
    # "stay" as a noun asks for no requirement; a long sentence grants in the clause asked about
    family = "Do the family members get the same length of stay as the expert?"
    sentence = "The family members accompanying experts will be granted the same period of stay as the experts."
    assert opening(family, [read(sentence, 1)], "", tie=tie).verdict == "yes"
    airports = (
        "We shall combine the strengths of the two airport economic zones; support the establishment of solely "
        "foreign-funded aircraft maintenance enterprises."
    )
    asked = "Can we set up a solely foreign-funded aircraft maintenance enterprise?"
    assert opening(asked, [read(airports, 1)], "", tie=tie).verdict == "yes"
    full = "Can we own 100% of a private fund manager?"
    assert (
        opening(
            full, [read("Support foreign investors to apply to become private fund managers.", 1)], "", tie=tie
        ).verdict
        is None
    )


GOLD = (
    "Foreign banks are allowed to obtain the People's Bank of China's gold import license and the lead underwriter "
    "qualification for the inter-bank bond market."
)


TRAVEL = (
    "Allow solely foreign-funded travel agencies incorporated in Beijing to operate pilot outbound tourism "
    "businesses for Chinese citizens (excluding travelling to Taiwan)."
)


def test_an_exclusion_under_a_grant_says_yes_with_conditions_only_when_the_model_says_yes_too_or_it_was_asked():
    """An exclusion limits a grant; it does not show the grant is what was asked (the sentence may be a neighbour's),
    unless the question asks for the grant and for the item the exclusion leaves out."""
    off_subject = "Has the cultural development fund been set up, and can foreigners take part?"
    assert opening(off_subject, [read(TRAVEL, 1)], "").verdict is None
    asked = "Can a foreign-funded travel agency run outbound tours?"
    assert opening(asked, [read(TRAVEL, 1)], "Yes, except to Taiwan [1].").verdict == "yes_conditions"
    assert opening("Can a foreign travel agency run tours to Taiwan?", [read(TRAVEL, 1)], "").verdict == "no"
    both = "Can our agency sell outbound tours to Chinese citizens, Taiwan trips included?"
    assert opening(both, [read(TRAVEL, 1)], "").verdict == "yes_conditions"


AIRPORTS = (
    "We shall combine the dual strengths of policies and functions, and make better use of the two engines for "
    "opening-up – Beijing Capital International Airport Economic Zone and Beijing Daxing International Airport "
    "Economic Zone; support the establishment of solely foreign-funded aircraft maintenance enterprises; provide "
    "bonded maintenance and other services while ensuring effective supervision and risk control, and seek to allow "
    "qualified enterprises outside the areas under special customs supervision to provide pollution-free bonded "
    "maintenance services."
)


def test_a_plans_decisive_clause_holds_its_plan_word_not_the_long_sentences_opening():
    question = "Can repair shops outside the bonded zones already offer bonded maintenance?"
    shown = opening(question, [read(AIRPORTS, 1)], "")
    assert shown.verdict == "not_yet"
    assert shown.decisive.startswith("“and seek to allow qualified enterprises outside the areas"), shown.decisive


def test_a_plain_yes_quotes_the_measure_asked_about_whole_not_a_marker_it_did_not_decide_by():
    guarantees = (
        "We shall allow foreign banks to participate in customs clearance tax payment and tariff guarantee businesses "
        "for imported and exported goods; encourage reforms in credit enhancement guarantee for an enterprise, and "
        "reduce the financing costs for foreign trade companies; and conduct the pilot program of financial leasing."
    )
    asked = "Can foreign banks handle customs tax payment and tariff guarantees?"
    assert decisive_clause(read(guarantees, 1), "", asked) == (
        "“We shall allow foreign banks to participate in customs clearance tax payment and tariff guarantee businesses "
        "for imported and exported goods” [1]"
    )
    devices = (
        "We shall improve the review of medical devices and shorten the time limits for their registration; carry out "
        "the pilot program of the medical device registrant system, allowing Beijing medical device registrants to "
        "entrust medical device manufacturers in Beijing, Tianjin and Hebei to produce medical devices"
    )
    shown = decisive_clause(read(devices, 1), "", "Can registrants entrust manufacturers in Hebei?")
    assert "in Beijing, Tianjin and Hebei to produce" in shown and "shorten" not in shown  # the list whole


def test_a_marker_that_answers_the_questions_own_ask_settles_it_though_the_answer_is_no():
    voluntary = read(
        "A professional pre-mediation mechanism of a voluntary nature will be established for foreign-related "
        "commercial cases.",
        1,
    )
    assert settles("Will pre-mediation be compulsory before we can sue a distributor?", [voluntary])
    plan = read("Efforts will be made to study and explore market-oriented operation mechanisms for patent pools.", 1)
    assert settles("Are there already market-run patent pools in Beijing?", [plan])
    assert not settles("Can our R&D centre join a patent pool?", [plan])  # a plan under a plain ask: the judge decides
    assert not settles("What does the plan say about pre-mediation?", [voluntary])  # no yes-or-no ask
    assert settles("Our parent had total assets of US$150m. Is that enough?", [read(THRESHOLD, 1)])  # past a bound
    assert not settles("Our parent had total assets of US$250m. Is that enough?", [read(THRESHOLD, 1)])


def test_an_exclusion_is_named_only_by_a_question_about_the_grant_it_limits():
    app_stores = read(APP_STORE_2023, 1)
    assert names_excluded("Does the lifting also cover network publishing services?", app_stores)
    # another subject sharing only the exclusion's modifier ("online") is not asked about it: no No from it
    ride_hailing = "Can a foreign company own an online ride-hailing platform in Beijing?"
    assert not names_excluded(ride_hailing, app_stores)
    assert decide_verdict(ride_hailing, app_stores)[0] != "no"


def test_needs_as_a_noun_asks_for_no_requirement():
    telecom = read(
        "We shall lift the limits on foreign stake in such value-added telecom services as store-and-forward services;"
        " seek to optimize access to pioneering websites according to the needs of research.",
        1,
    )
    asked = "Can overseas customers already use a website filing system built for their needs?"
    assert decide_verdict(asked, telecom) == ("not_yet", "plan_only")  # not "No" by the removal, as a requirement
    assert decide_verdict("Do we still need a licence for store-and-forward services?", telecom)[0] == "no"
