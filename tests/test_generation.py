import pytest

from summarize import GenerationSettings, InvalidOptionError


@pytest.mark.parametrize(
    "options, message",
    [
        ({"beams": 4}, "unknown generation option 'beams'; did you mean 'num_beams'? valid options are 'do_sample'"),
        ({"num_beams": 0}, "num_beams must be an integer >= 1, got 0"),
        ({"num_beams": 2.5}, "num_beams must be an integer >= 1, got 2.5"),
        ({"num_beams": "4"}, "num_beams must be an integer >= 1, got '4'"),
        ({"num_beams": True}, "num_beams must be an integer >= 1, got True"),
        ({"max_new_tokens": -1}, "max_new_tokens must be an integer >= 1"),
        ({"min_new_tokens": -1}, "min_new_tokens must be an integer >= 0"),
        ({"do_sample": 1}, "do_sample must be True or False"),
        ({"top_p": 1.5}, "top_p must be a number in (0, 1]"),
        ({"min_new_tokens": 50, "max_new_tokens": 10}, "min_new_tokens (50) is larger than max_new_tokens (10)"),
    ],
)
def test_invalid_options_are_named_with_what_is_accepted(options, message):
    with pytest.raises(InvalidOptionError) as err:
        GenerationSettings().replace(**options)
    assert message in str(err.value)


def test_valid_options_apply_and_defaults_stay():
    settings = GenerationSettings().replace(num_beams=1, length_penalty=2)
    assert settings.num_beams == 1
    assert settings.length_penalty == 2.0
    assert settings.do_sample is False
    assert GenerationSettings().num_beams == 4


@pytest.mark.parametrize("name", ["num_beams", "max_new_tokens", "length_penalty", "top_p"])
def test_an_enormous_integer_is_refused_as_a_bad_value_not_an_overflow(name):
    from summarize import InvalidOptionError
    from summarize.generation import validate_options

    with pytest.raises(InvalidOptionError, match=rf"^{name} must be .*, got 100000000000\.\.\. \(4,001 characters\)$"):
        validate_options({name: 10**4000})
    # Past the digits Python will print, the message says so instead of failing to print it.
    with pytest.raises(InvalidOptionError, match=rf"^{name} must be .*, got an integer of over 4,300 digits$"):
        validate_options({name: 10**5000})


def test_a_mistyped_setting_in_a_call_gets_the_closest_name(tiny_model):
    from summarize import Summarizer

    s = Summarizer(tiny_model, faithfulness="off")
    with pytest.raises(InvalidOptionError, match=r"^unknown generation option 'beams'; did you mean 'num_beams'\? valid options are "):
        s.summarize("Рада ухвалила закон про бюджет.", lang="uk", beams=2)
