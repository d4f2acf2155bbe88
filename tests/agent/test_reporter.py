"""The background state reporter: the server always ends with the newest state."""

from __future__ import annotations

import threading

from homerelay.agent.reporter import StateReporter


class _Devices:
    """Stands in for the house's devices: a state that the test changes."""

    def __init__(self):
        self.fan = "on"

    def states(self):
        return [{"room": "living_room", "device": "fan", "state": self.fan}]


class _SlowClient:
    """Records every upload; the first one stalls until released, like a slow network."""

    def __init__(self):
        self.reports: list[str] = []
        self.first_upload_started = threading.Event()
        self.release_first_upload = threading.Event()

    def put_devices(self, states):
        if not self.first_upload_started.is_set():
            self.first_upload_started.set()
            assert self.release_first_upload.wait(5)
        self.reports.append(states[0]["state"])


def test_the_final_state_is_not_overtaken_by_an_older_upload_still_on_its_way():
    devices, client, stop = _Devices(), _SlowClient(), threading.Event()
    reporter = StateReporter(devices, client, stop)
    reporter.start()
    try:
        reporter.changed()  # the fan went on: the reporter thread snapshots "on" and stalls
        assert client.first_upload_started.wait(5)
        devices.fan = "off"  # then a terminate switched everything off
        final = threading.Thread(target=reporter.report_now)
        final.start()
        final.join(0.3)  # it waits for the upload under way instead of overtaking it
        client.release_first_upload.set()
        final.join(5)
        assert client.reports == ["on", "off"]
    finally:
        client.release_first_upload.set()
        stop.set()
        reporter.join(5)


def test_a_change_already_carried_by_report_now_is_not_uploaded_again():
    devices, client, stop = _Devices(), _SlowClient(), threading.Event()
    client.first_upload_started.set()  # no stall in this test
    reporter = StateReporter(devices, client, stop)
    reporter.changed()
    reporter.report_now()
    reporter.start()
    try:
        stop.wait(0.3)  # time enough for the thread to upload, were the change still pending
        assert client.reports == ["on"] and reporter.uploads == 1
    finally:
        stop.set()
        reporter.join(5)
