"""The system page says, under each requirement, why it applies."""

import html

from tests.factories import profile
from tracker import register
from tracker.plugin_host import load_catalogue


def test_each_requirement_row_says_why_it_applies(sign_in_as):
    system = register.create_system(profile(jurisdictions=["eu-led"]), "test", load_catalogue())
    page = html.unescape(sign_in_as("viewer").get(f"/systems/{system.id}").text)
    row = page[page.index('id="requirement-eu-led.dpia"') :]
    row = row[: row.index("</tr>")]
    assert (
        '<small class="why">Applies because: eu-led: listed in the system\'s jurisdictions '
        "(override: eu-led); processes_personal_data is true; purpose_type is law_enforcement; "
        "risk_level is high; biometric_identification is post_event (not none)</small>"
    ) in row
