"""Voice training: a profile adapted to a voice from the house's sentences, and every way it can fail."""

from __future__ import annotations

import os
import re
import shutil
import stat

import pytest

from homerelay.cli import main
from homerelay.house import House
from homerelay.language import parse
from homerelay.voice import training
from homerelay.voice.audio import Audio, to_wav
from homerelay.voice.decoder import Decoder, model_path, pronunciations
from homerelay.voice.training import Profile, VoiceProfileError, train, training_sentences
from tests.language.conftest import CUSTOM_HOUSE_YAML
from tests.support.availability import missing

CUSTOM = House.from_yaml(CUSTOM_HOUSE_YAML)
# A British voice: the packaged model is American, so this is the voice training is for.
VOICE = "en-gb"


@pytest.fixture
def tools():
    """Skip (fail on CI) without sphinxtrain's programs."""
    absent = training.missing_tools()
    if absent:
        missing(", ".join(absent), training.INSTALL_HINT)


def recordings(speak, sentences, voice=VOICE):
    """The sentences read by one voice, at two speeds in turn, as a person reads them once each."""
    return [(Audio(speak(text, voice, (155, 185)[index % 2])), text) for index, text in enumerate(sentences)]


def test_the_sentences_are_the_house_s_own_commands_both_ways_and_the_answers():
    sentences = training_sentences(CUSTOM, 30)
    assert len(sentences) == len(set(sentences)) == 30
    # As many as asked for, in a house with more devices or fewer.
    assert len(set(training_sentences(House.default(), 60))) == len(training_sentences(House.default(), 60)) == 60
    for name in ("porch heater", "kitchen kettle", "study desk lamp", "porch gate"):
        assert any(name in text and ("on" in text.split() or "open" in text.split()) for text in sentences), name
        assert any(name in text and set(text.split()) & {"off", "stop", "shut", "close"} for text in sentences), name
    assert {"hey home", "yes", "no"} <= set(sentences)
    # Every word can be trained on: the dictionary knows it.
    words = {word for text in sentences for word in text.split()}
    assert words <= set(pronunciations(words))


ONE_DEVICE_HOUSE = """
rooms: [den]
devices:
  - {room: den, name: lamp_2, kind: led, pin: 5, aliases: [reading lamp]}
  - {room: den, name: xqzv, kind: led, pin: 6}
"""


def test_a_small_house_still_gives_enough_sentences_in_words_the_dictionary_knows():
    # One device the dictionary can say ("lamp 2" only by its alias) and one it cannot: before,
    # 16 sentences, too few to train on, and "2" dropped from what the person was asked to read.
    house = House.from_yaml(ONE_DEVICE_HOUSE)
    sentences = training_sentences(house, 20)
    assert len(sentences) == 20
    assert any("den reading lamp" in text for text in sentences)
    assert not any("xqzv" in text or "2" in text for text in sentences)
    words = {word for text in sentences for word in text.split()}
    assert words <= set(pronunciations(words))
    # Each sentence the house can say is read before any is read again.
    distinct = list(dict.fromkeys(sentences))
    assert sentences[:len(distinct)] == distinct and len(distinct) < 20


def test_the_packed_mixture_weights_are_read_as_the_model_uses_them(tmp_path, speak):
    # The trainer reads the weights unpacked: a model given them in place of its packed file hears
    # as the packaged one does (a wrong order of senones or densities would hear nothing).
    model = tmp_path / "model"
    shutil.copytree(model_path(), model)
    weights = training.read_sendump(model / "sendump")
    assert weights.shape == (5126, 3, 128)
    assert abs(weights.sum(axis=2) - 1).max() < 1e-6
    training.write_mixture_weights(weights, model / "mixture_weights")
    (model / "sendump").unlink()
    audio = Audio(speak("switch off the bedroom fan", "en-us"))
    packaged = Decoder().hear_command(audio, House.default(), 0.0)
    unpacked = Decoder({"hmm": str(model)}).hear_command(audio, House.default(), 0.0)
    assert unpacked.heard == packaged.heard == "switch off the bedroom fan"


def test_a_trained_profile_fits_its_voice_better_and_hears_with_it(tools, tmp_path, speak):
    house = House.default()
    profile = train(recordings(speak, training_sentences(house, 20)), tmp_path / "profile")
    assert (profile.recordings, profile.aligned) == (20, 20)
    assert Profile.load(tmp_path / "profile") == profile
    # A sentence it was not trained on, by the same voice: the adapted model fits its sound
    # better, and the command is heard.
    audio = Audio(speak("turn off the bathroom light and the kitchen light", VOICE, 170))
    packaged, adapted = Decoder(), Decoder(profile=profile)
    before = packaged.score(audio, packaged.use_house(house))
    after = adapted.score(audio, adapted.use_house(house))
    assert after.fit() > before.fit()
    heard = parse(adapted.hear_command(audio, house, 0.0).heard, house)
    assert {(a.room, a.device, a.action) for a in heard.actions} == {
        ("bathroom", "light", "off"), ("kitchen", "light", "off")}


def test_recordings_of_something_else_are_refused_and_the_old_profile_kept(tools, tmp_path, speak):
    target = tmp_path / "profile"
    good = train(recordings(speak, training_sentences(House.default(), 20)), target)
    # Noise where the sentences should be: a short sentence ("yes") may be forced onto it, most not.
    import random

    noise = random.Random(7)
    hiss = [(Audio(bytes(noise.getrandbits(8) for _ in range(32000))), text)
            for text in training_sentences(House.default(), 20)]
    with pytest.raises(VoiceProfileError, match=r"^Only \d+ of 20 recordings (matched|sound like) their sentences: "
                                                 r"record them again"):
        train(hiss, target)
    assert Profile.load(target) == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["profile"]  # nothing half-written left


@pytest.mark.parametrize("mistake, first", [("skipped", 15), ("read_twice", 25), ("renamed", 1)])
def test_takes_out_of_step_with_their_sentences_are_refused(tools, tmp_path, speak, mistake, first):
    # bw aligned takes shifted by one line with their neighbours' sentences ("on" trained as "off").
    sentences = training_sentences(House.default(), 30)
    takes = [audio for audio, _ in recordings(speak, sentences)]
    if mistake == "skipped":  # the 15th sentence was not read: every take after it is a line early
        takes = takes[:14] + takes[15:]
        sentences = sentences[:-1]
    elif mistake == "read_twice":  # the 24th was read twice: every take after it is a line late
        takes = takes[:24] + takes[23:29]
    else:  # the files were renumbered from 02.wav
        takes = takes[1:]
        sentences = sentences[:-1]
    with pytest.raises(VoiceProfileError, match=r"^The recordings are out of step with sentences.txt from take "
                                               r"(\d+) on: \d+ of \d+ sound like the sentence 1 line (below|above) "
                                               r"their own. Was a sentence skipped or read twice\?") as refused:
        train(list(zip(takes, sentences)), tmp_path / "profile")
    # Where it went out of step, within the odd take heard as its on/off neighbour.
    assert abs(int(re.search(r"from take (\d+)", str(refused.value)).group(1)) - first) <= 2, refused.value
    assert not (tmp_path / "profile").exists()


def test_words_the_dictionary_lacks_are_named(tools, tmp_path, speak):
    takes = recordings(speak, training_sentences(House.default(), 20))
    with pytest.raises(VoiceProfileError, match="lacks: zyxxq"):
        train(takes + [(Audio(speak("turn on the zyxxq")), "turn on the zyxxq")], tmp_path / "profile")


def test_missing_tools_are_named_with_the_packages_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(training, "_tool", lambda name: None if name == "bw" else "/bin/true")
    with pytest.raises(VoiceProfileError) as error:
        train([(Audio(b"\0\0" * 1600), "yes")] * 20, tmp_path / "profile")
    assert str(error.value) == f"{training.INSTALL_HINT} (missing: bw)"


@pytest.mark.parametrize("damage", ["absent", "not_a_profile", "incomplete"])
def test_a_folder_that_is_no_profile_is_one_clear_error(tmp_path, damage):
    folder = tmp_path / "profile"
    if damage != "absent":
        folder.mkdir()
    if damage == "incomplete":
        (folder / training.PROFILE_FILE).write_text('{"recordings": 30, "aligned": 30, "created": "", "files": {}}')
    expected = {"absent": "is not a voice profile", "not_a_profile": "is not a voice profile",
                "incomplete": "is incomplete: means, variances"}[damage]
    with pytest.raises(VoiceProfileError, match=expected):
        Profile.load(folder)


def test_the_command_line_prints_the_sentences(capsys):
    assert main(["voice", "sentences", "--count", "20"]) == 0
    assert capsys.readouterr().out.splitlines() == training_sentences(House.default(), 20)


def fake_microphone(tmp_path, monkeypatch, takes: list[bytes]) -> None:
    """An `arecord` on PATH that gives, at each start, the next take and then quiet."""
    folder = tmp_path / "mic"
    folder.mkdir()
    for number, pcm in enumerate(takes):
        (folder / f"{number}.raw").write_bytes(pcm + b"\0\0" * 16000 * 3)
    script = folder / "arecord"
    script.write_text(f"""#!/bin/sh
n=$(cat {folder}/count 2>/dev/null || echo 0)
echo $((n + 1)) > {folder}/count
exec cat {folder}/$n.raw /dev/zero
""")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")


def test_record_then_train_then_the_agent_hears_with_the_profile(tools, tmp_path, monkeypatch, speak, capsys):
    from homerelay.cli import build_parser
    from homerelay.cli.agent import _voice_settings

    monkeypatch.setenv("HOMERELAY_DATA", str(tmp_path / "data"))
    sentences = training_sentences(House.default(), 20)
    # The first take is silence ("Nothing heard; say it again."), then each sentence in turn.
    fake_microphone(tmp_path, monkeypatch, [b""] + [pcm for pcm, _ in
                                                     ((a.pcm, t) for a, t in recordings(speak, sentences))])
    assert main(["voice", "record", str(tmp_path / "takes"), "--count", "20"]) == 0
    out = capsys.readouterr().out
    assert "  1/20  Say: " + sentences[0] in out and out.count("Nothing heard; say it again.") == 1
    assert (tmp_path / "takes" / "sentences.txt").read_text().splitlines() == sentences
    assert sorted(p.name for p in (tmp_path / "takes").glob("*.wav")) == [f"{n:02d}.wav" for n in range(1, 21)]

    assert main(["voice", "train", str(tmp_path / "takes")]) == 0
    profile = tmp_path / "data" / "voice-profile"
    assert capsys.readouterr().out.splitlines() == [
        f"Voice profile written to {profile}: 20 of 20 recordings used.",
        "homerelay agent --listen and homerelay serve hear with it once they are started again."]
    args = build_parser().parse_args(["agent", "--server", "http://127.0.0.1:1", "--token", "t", "--listen"])
    assert _voice_settings(args).profile == str(profile)


@pytest.mark.parametrize("problem, line", [
    ("no_sentences", "sentences.txt: cannot be read (No such file or directory); make the folder with: "
                     "homerelay voice record {folder}"),
    ("missing_take", "{folder}/02.wav is missing: sentences.txt has 2 sentences, each needs its recording"),
    ("not_wav", "{folder}/01.wav: ")])
def test_a_bad_recordings_folder_is_one_line_and_exit_2(tmp_path, capsys, problem, line):
    folder = tmp_path / "takes"
    folder.mkdir()
    if problem != "no_sentences":
        (folder / "sentences.txt").write_text("yes\nno\n")
        (folder / "01.wav").write_bytes(b"not a wav" if problem == "not_wav" else to_wav(b"\0\0" * 8000))
    assert main(["voice", "train", str(folder)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and line.format(folder=folder) in err


def test_an_agent_given_no_profile_folder_says_so_in_one_line(tmp_path, capsys):
    argv = ["agent", "--server", "http://127.0.0.1:1", "--token", "t", "--listen",
            "--voice-profile", str(tmp_path / "nowhere")]
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == (
        f"homerelay agent: {tmp_path / 'nowhere'} is not a voice profile (make one with: homerelay voice train)")


def test_the_satellite_hears_with_the_profile_it_is_given(tools, tmp_path, speak):
    from homerelay.agent.satellite import Satellite, Voice, VoiceSettings
    from homerelay.const import DEFAULT_WAKE
    from homerelay.voice.listener import DEFAULT_WAKE_THRESHOLD

    profile = train(recordings(speak, training_sentences(House.default(), 20)), tmp_path / "profile")
    satellite = Satellite(VoiceSettings(DEFAULT_WAKE, DEFAULT_WAKE_THRESHOLD, profile=str(profile.path), speak=False),
                          None, House.default(), voice=Voice(enabled=False))
    assert satellite.decoder.acoustic_model == str(profile.path)
    assert Satellite(VoiceSettings(DEFAULT_WAKE, DEFAULT_WAKE_THRESHOLD, speak=False), None, House.default(),
                     voice=Voice(enabled=False)).decoder.acoustic_model == model_path()


def test_the_server_s_decoders_hear_with_the_profile_and_name_a_damaged_one(tools, tmp_path, monkeypatch, speak):
    from homerelay.errors import VoiceUnavailableError
    from homerelay.voice.worker import DecoderProcess

    profile = train(recordings(speak, training_sentences(House.default(), 20)), tmp_path / "profile")
    audio, house = Audio(speak("turn on the kitchen light", VOICE)), House.default()
    monkeypatch.setenv(training.ENV_PROFILE, str(profile.path))
    process = DecoderProcess()
    try:
        assert process.hear(audio, house).heard == "turn on the kitchen light"
    finally:
        process.close()
    (profile.path / "means").unlink()
    process = DecoderProcess()
    try:
        with pytest.raises(VoiceUnavailableError, match=r"is incomplete: means missing; train it again"):
            process.hear(audio, house)
    finally:
        process.close()


def test_serve_given_no_profile_folder_says_so_in_one_line(tmp_path, capsys):
    assert main(["serve", "--voice-profile", str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"homerelay serve: {tmp_path / 'nowhere'} is not a voice profile (make one with: homerelay voice train)")


def test_voice_options_without_listen_are_one_line_not_ignored(tmp_path, capsys):
    argv = ["agent", "--server", "http://127.0.0.1:1", "--token", "t", "--voice-profile", str(tmp_path), "--quiet"]
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert str(stopped.value) == ("--quiet, --voice-profile: only with --listen or --listen-from "
                                  "(the agent hears nothing without them)")


def test_serve_says_which_profile_it_hears_with_and_runs_on_with_a_damaged_one(tools, tmp_path, monkeypatch,
                                                                              speak, caplog):
    import homerelay.server.serving as serving

    monkeypatch.setattr(serving, "serve", lambda *args: None)
    monkeypatch.setenv("HOMERELAY_DATA", str(tmp_path / "data"))
    monkeypatch.delenv(training.ENV_PROFILE, raising=False)
    profile = train(recordings(speak, training_sentences(House.default(), 20)), tmp_path / "data" / "voice-profile")
    with caplog.at_level("INFO"):
        assert main(["serve"]) == 0
    assert f"speech is heard with the voice profile {profile.path} (20 recordings)" in caplog.messages
    (profile.path / "means").write_bytes(b"")
    caplog.clear()
    assert main(["serve"]) == 0  # the rest of the server does not need it
    assert any("is damaged (changed since it was trained: means)" in message for message in caplog.messages)


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGHUP"])
def test_training_stopped_by_a_signal_leaves_no_work_folder_and_the_old_profile(tools, tmp_path, monkeypatch, speak,
                                                                               stop):
    import signal
    import tempfile

    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", None)
    takes = tmp_path / "takes"
    takes.mkdir()
    sentences = training_sentences(House.default(), 20)
    (takes / "sentences.txt").write_text("\n".join(sentences) + "\n")
    for index, (audio, _) in enumerate(recordings(speak, sentences)):
        (takes / f"{index + 1:02d}.wav").write_bytes(to_wav(audio.pcm))
    old = train(recordings(speak, sentences), tmp_path / "profile")
    real_adapt = training._adapt

    def killed_while_adapting(*args):
        os.kill(os.getpid(), getattr(signal, stop))
        return real_adapt(*args)

    monkeypatch.setattr(training, "_adapt", killed_while_adapting)
    handlers = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGHUP)}
    try:
        with pytest.raises(SystemExit) as stopped:
            main(["voice", "train", str(takes), "--out", str(tmp_path / "profile")])
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
    assert stopped.value.code == 128 + getattr(signal, stop)
    assert list((tmp_path / "tmp").iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["profile", "takes", "tmp"]
    assert Profile.load(tmp_path / "profile") == old


def test_too_few_recordings_are_refused(tmp_path):
    # One recording made "turn off the kitchen oven" heard as "turn on the kitchen oven".
    with pytest.raises(VoiceProfileError, match=r"^1 recordings are too few to train on: read at least 20"):
        train([(Audio(b"\0\0" * 16000), "turn on the living room light")], tmp_path / "profile")


def test_empty_takes_are_not_counted_as_matched(tools, tmp_path, speak):
    takes = recordings(speak, training_sentences(House.default(), 20))
    empty = [(Audio(b""), text) for _, text in takes[:10]] + takes[10:]
    with pytest.raises(VoiceProfileError, match=r"^Only 10 of 20 recordings matched"):
        train(empty, tmp_path / "profile")


@pytest.mark.parametrize("kind", ["folder_of_other_things", "file", "root"])
def test_a_profile_is_never_written_over_something_else(tmp_path, kind):
    target = {"folder_of_other_things": tmp_path / "Documents", "file": tmp_path / "notes.txt",
              "root": tmp_path.anchor and __import__("pathlib").Path("/")}[kind]
    if kind == "folder_of_other_things":
        target.mkdir()
        (target / "tax.txt").write_text("keep me")
    elif kind == "file":
        target.write_text("keep me")
    takes = [(Audio(b"\0\0" * 16000), "yes")] * 20
    with pytest.raises(VoiceProfileError, match="is not a voice profile: choose another folder|name a folder"):
        train(takes, target)
    if kind == "folder_of_other_things":
        assert (target / "tax.txt").read_text() == "keep me"
    elif kind == "file":
        assert target.read_text() == "keep me"


def test_a_damaged_profile_is_named_before_the_speech_engine_loads_it(tools, tmp_path, speak, capsys):
    profile = train(recordings(speak, training_sentences(House.default(), 20)), tmp_path / "profile")
    means = profile.path / "means"
    means.write_bytes(means.read_bytes()[:1000])
    argv = ["agent", "--server", "http://127.0.0.1:1", "--token", "t", "--listen", "--voice-profile", str(profile.path)]
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == (
        f"homerelay agent: The voice profile {profile.path} is damaged (changed since it was trained: means); "
        "train it again")
    assert profile.path.stat().st_mode & 0o055  # readable by the agent's and server's own users


@pytest.fixture(scope="module")
def takes_20(tmp_path_factory):
    """Twenty of the default house's sentences read by the British voice: [(Audio, sentence)]."""
    from bench.spoken import speak

    if training.missing_tools():
        missing(", ".join(training.missing_tools()), training.INSTALL_HINT)
    return [(Audio(speak(text, VOICE, (155, 185)[index % 2])), text)
            for index, text in enumerate(training_sentences(House.default(), 20))]


@pytest.mark.parametrize("case", ["takes_inside", "someone_s_profile_json", "old_beside"])
def test_training_never_deletes_what_it_was_not_given(takes_20, tmp_path, case):
    # Each of these was deleted: recordings kept in the profile's folder, a folder of the user's
    # that had a profile.json, a folder of the user's named as the old profile is for the swap.
    target = tmp_path / "prof"
    if case == "takes_inside":
        train(takes_20, target)
        (target / "takes").mkdir()
        (target / "takes" / "01.wav").write_bytes(b"a take")
        keep = target / "takes" / "01.wav"
    elif case == "someone_s_profile_json":
        target.mkdir()
        (target / "profile.json").write_text('{"theme": "dark"}')
        keep = target / "thesis.txt"
        keep.write_text("precious")
    else:
        train(takes_20, target)
        (tmp_path / ".prof.old").mkdir()
        keep = tmp_path / ".prof.old" / "notes.txt"
        keep.write_text("precious")
    if case == "old_beside":
        train(takes_20, target)
    else:
        with pytest.raises(VoiceProfileError, match="exists and is not a voice profile: choose another folder"):
            train(takes_20, target)
    assert keep.read_bytes() in (b"a take", b"precious")


def test_a_link_to_a_profile_folder_is_written_through_and_kept(takes_20, tmp_path):
    (tmp_path / "real").mkdir()
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "real" / "prof", target_is_directory=True)
    with pytest.raises(VoiceProfileError, match="is a link to nothing"):
        train(takes_20, link)
    first = train(takes_20, tmp_path / "real" / "prof")
    for _ in range(2):  # the second time failed after the whole training: the link was replaced
        profile = train(takes_20, link)
        assert link.is_symlink() and profile.path == first.path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["prof"]


def test_what_a_killed_training_left_is_tidied_by_the_next(takes_20, tmp_path):
    good = train(takes_20, tmp_path / "prof")
    # Killed while writing (a part of a profile), and killed between the two steps of the swap
    # (the old profile moved aside, none in its place).
    (tmp_path / ".prof.training-abcd1234").mkdir()
    (tmp_path / ".prof.training-abcd1234" / "means").write_bytes(b"half")
    (tmp_path / "prof").rename(tmp_path / ".prof.old-efgh5678")
    (tmp_path / "mine").mkdir()
    profile = train(takes_20, tmp_path / "prof")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "prof"]
    assert Profile.load(profile.path).recordings == good.recordings


@pytest.mark.parametrize("what", ["yes_over_silence", "one_take_copied"])
def test_recordings_that_are_not_their_sentences_are_refused(takes_20, tmp_path, what):
    # Both were trained on ("30 of 30 used"): the aligner forces any sentence onto any sound. A
    # profile trained on the first heard 4 of 8 good takes right, against 8 of 8.
    if what == "yes_over_silence":
        takes = [(Audio(b"\0\0" * 32000), "yes")] * 20
    else:
        takes = [(takes_20[0][0], text) for _, text in takes_20]
    with pytest.raises(VoiceProfileError, match=r"^Only [01] of 20 recordings sound like their sentences: record "
                                                 r"them again, each sentence as written, in a quiet room"):
        train(takes, tmp_path / "prof")
    assert not (tmp_path / "prof").exists()


@pytest.mark.parametrize("sentence, message", [
    ("turn on lamp 2", r"lacks: 2 \(write numbers as words\)"),  # "2" was dropped: trained as "turn on lamp"
    ("turn on the café light", "lacks: café"),
    ("!!! ??? ...", "^Sentence 3 has no words: each line is a sentence to read"),
    ("turn on the light " * 8, "^Sentence 3 has 32 words: a take is one sentence of at most 30 words"),
])
def test_sentences_are_trained_as_written_or_refused(takes_20, tmp_path, sentence, message):
    takes = list(takes_20)
    takes[2] = (takes[2][0], sentence)
    with pytest.raises(VoiceProfileError, match=message):
        train(takes, tmp_path / "prof")


def test_many_unknown_words_are_one_short_line(takes_20, tmp_path):
    takes = [(audio, " ".join(f"zq{index}x{word}" for word in range(50))) for index, (audio, _) in enumerate(takes_20)]
    takes = [(audio, " ".join(text.split()[:25])) for audio, text in takes]
    with pytest.raises(VoiceProfileError) as refused:
        train(takes, tmp_path / "prof")
    assert str(refused.value).endswith(" and 490 more (write numbers as words)") and len(str(refused.value)) < 300


@pytest.mark.parametrize("where, kind", [("05.wav", "zero"), ("05.wav", "fifo"), ("sentences.txt", "zero"),
                                         ("sentences.txt", "huge")])
def test_takes_and_sentences_that_never_end_are_refused_unread(takes_20, tmp_path, capsys, where, kind):
    # A link to /dev/zero was read until memory ran out; a named pipe hung for ever.
    folder = tmp_path / "takes"
    folder.mkdir()
    (folder / "sentences.txt").write_text("\n".join(text for _, text in takes_20) + "\n")
    for index, (audio, _) in enumerate(takes_20):
        (folder / f"{index + 1:02d}.wav").write_bytes(to_wav(audio.pcm))
    path = folder / where
    path.unlink()
    if kind == "zero":
        path.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.write_text("turn on the light\n" * 20_000)
    assert main(["voice", "train", str(folder), "--out", str(tmp_path / "prof")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"homerelay voice: {path}: "), err
    assert ("not a regular file" in err) if kind != "huge" else ("is no list of sentences" in err)


@pytest.mark.parametrize("damage", ["about_is_dev_zero", "about_nested_deep", "means_sparse_4_gb"])
def test_a_profile_whose_files_never_end_is_one_clear_error(takes_20, tmp_path, damage):
    # Each ended in a MemoryError or RecursionError, and a default profile so damaged stopped
    # the server from starting.
    profile = train(takes_20, tmp_path / "prof")
    if damage == "about_is_dev_zero":
        (profile.path / "profile.json").unlink()
        (profile.path / "profile.json").symlink_to("/dev/zero")
    elif damage == "about_nested_deep":
        (profile.path / "profile.json").write_text("[" * 100_000)
    else:
        with open(profile.path / "means", "wb") as means:
            means.truncate(4 << 30)
    with pytest.raises(VoiceProfileError, match="is not a voice profile|is damaged"):
        Profile.load(profile.path)


def test_an_empty_out_is_refused_and_a_path_with_spaces_is_printed_to_paste(takes_20, tmp_path, capsys):
    folder = tmp_path / "takes"
    folder.mkdir()
    (folder / "sentences.txt").write_text("\n".join(text for _, text in takes_20) + "\n")
    for index, (audio, _) in enumerate(takes_20):
        (folder / f"{index + 1:02d}.wav").write_bytes(to_wav(audio.pcm))
    assert main(["voice", "train", str(folder), "--out", ""]) == 2  # it trained into the default profile
    assert capsys.readouterr().err.strip() == "homerelay voice: --out needs a folder for the profile"
    assert main(["voice", "train", str(folder), "--out", str(tmp_path / "my voice")]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"Use it with: homerelay agent --listen --voice-profile '{tmp_path / 'my voice'}'")


def test_listening_without_arecord_is_said_before_the_agent_starts(tmp_path, monkeypatch):
    # The agent said "Listening for 'hey home'", then only a traceback from the listening thread.
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv(training.ENV_PROFILE, raising=False)
    monkeypatch.setenv("HOMERELAY_DATA", str(tmp_path / "data"))
    with pytest.raises(SystemExit) as stopped:
        main(["agent", "--server", "http://127.0.0.1:1", "--token", "t", "--listen"])
    assert str(stopped.value) == ("--listen needs arecord (sudo apt install alsa-utils) and a microphone; "
                                  "or try it with --listen-from FILE.wav")
