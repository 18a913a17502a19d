"""A company admin gives a tool a webhook in a real browser: a refused address beside its field with the
input kept, the signing secret shown once, the delivery log (the event a finished operation sent to a local
receiver) and Send again. Every page checked with axe at 1280 and 390 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from standardwebhooks import Webhook

from organizations.models import WebhookDelivery
from organizations.tasks import webhook_deliver
from portal.models import OperationKind
from portal.operations import operation_create, operation_succeed
from tests.e2e.pages import check_page, expect_field_error, sign_in
from tests.emulator.receiver import Receiver
from tests.support.api_tokens import register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _deliver_pending() -> None:
    for delivery in WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING):
        webhook_deliver.apply(args=[delivery.pk])


def test_a_webhook_its_secret_once_and_its_deliveries(portal, page: Page, company_admin, demo_organizations,
                                                      settings) -> None:
    settings.PORTAL_WEBHOOK_ALLOW_LOOPBACK = True  # the receiver runs on this machine
    acme = demo_organizations["acme"]
    tool = register("portal-tool-acme-dev", organizations=[acme])
    receiver = Receiver()
    try:
        sign_in(page, portal, company_admin)
        check_page(page)
        page.goto(f"{portal}/api-clients/{tool.pk}/")
        check_page(page)
        page.get_by_role("link", name="Webhook and deliveries").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"{tool.name}: webhook")
        expect(page.get_by_text("Nothing was sent to this tool yet.")).to_be_visible()
        check_page(page)

        page.get_by_label("Webhook URL").fill("http://tools.example.test/hook")
        page.get_by_role("button", name="Save").click()
        expect_field_error(page.get_by_label("Webhook URL"), "Enter an https:// address (http:// only for this "
                                                             "machine, e.g. http://127.0.0.1:9000/hook).")
        expect(page.get_by_label("Webhook URL")).to_have_value("http://tools.example.test/hook")
        check_page(page)

        page.get_by_label("Webhook URL").fill(receiver.url + "/hook")
        page.get_by_role("button", name="Save").click()
        secret = page.get_by_label("Signing secret").input_value()
        assert secret.startswith("whsec_")
        check_page(page)
        page.get_by_role("link", name="Done").click()
        expect(page.get_by_label("Webhook URL")).to_have_value(receiver.url + "/hook")
        check_page(page)

        operation = operation_create(kind=OperationKind.USER_BLOCK, actor=None, organization=acme,
                                     target="auth0|someone", payload={})
        operation_succeed(operation)
        _deliver_pending()
        sent = receiver.requests[-1]
        assert Webhook(secret).verify(sent.body, sent.headers)["data"]["operation"]["id"] == str(operation.pk)
        page.reload()
        deliveries = page.get_by_role("region", name="Deliveries")
        expect(deliveries.get_by_role("row").filter(has_text="An operation finished")).to_contain_text("Delivered")
        check_page(page)

        deliveries.get_by_role("button", name="Send again").first.click()
        expect(page.get_by_role("status").filter(has_text="is being sent again")).to_be_visible()
        check_page(page)
        _deliver_pending()
        assert len(receiver.requests) == 2 and receiver.requests[0].body == receiver.requests[1].body
        # The only errors on the way are the refused address's answer (400, as a form with errors is).
        errors = page.console_errors  # type: ignore[attr-defined]
        assert errors and all("400" in e and f"/api-clients/{tool.pk}/webhook/" in e for e in errors), errors
    finally:
        receiver.close()
