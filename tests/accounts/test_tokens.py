"""Personal API tokens: stored hashed, shown once, revocable, expiring."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from apps.accounts.models import ApiToken
from apps.accounts.services import (
    TokenRejected,
    authenticate_token,
    create_token,
    revoke_token,
    token_digest,
)
from apps.deployments.models import Event


def test_only_a_digest_of_the_token_is_stored(owner):
    issued = create_token(actor=owner, user=owner, name="ci")
    stored = ApiToken.objects.get()
    assert stored.digest == token_digest(issued.plain)
    assert issued.plain not in str(ApiToken.objects.values().get())
    assert issued.plain.startswith(stored.prefix)


def test_a_live_token_authenticates_its_user(owner):
    issued = create_token(actor=owner, user=owner, name="ci")
    assert authenticate_token(issued.plain).user == owner


def test_a_revoked_token_is_refused_without_repeating_it(owner):
    issued = create_token(actor=owner, user=owner, name="ci")
    revoke_token(issued.token, actor=owner)
    with pytest.raises(TokenRejected, match="was revoked") as caught:
        authenticate_token(issued.plain)
    assert issued.plain not in str(caught.value)


def test_an_expired_token_is_refused(owner):
    issued = create_token(actor=owner, user=owner, name="ci", expires_in_days=1)
    with pytest.raises(TokenRejected, match="expired"):
        authenticate_token(issued.plain, now=timezone.now() + timedelta(days=2))


def test_an_unknown_token_is_refused(db):
    with pytest.raises(TokenRejected, match="not valid"):
        authenticate_token("gnt_not-a-real-token")


def test_nobody_issues_or_revokes_tokens_for_someone_else(owner, outsider):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="only create tokens for yourself"):
        create_token(actor=outsider, user=owner, name="x")
    issued = create_token(actor=owner, user=owner, name="ci")
    with pytest.raises(ValidationError, match="only revoke your own"):
        revoke_token(issued.token, actor=outsider)


def test_a_team_admin_revokes_a_members_token_and_the_team_audit_says_so(owner, deployer, team):
    issued = create_token(actor=deployer, user=deployer, name="ci")
    assert ApiToken.objects.managed_by(owner).filter(pk=issued.token.pk).exists()
    revoke_token(issued.token, actor=owner)
    with pytest.raises(TokenRejected, match="was revoked"):
        authenticate_token(issued.plain)
    event = Event.objects.get(verb="revoke")
    assert (event.team, event.actor) == (team, owner)
    assert "of dara" in event.message


def test_a_member_who_is_not_admin_may_not_revoke_a_teammates_token(owner, deployer):
    from django.core.exceptions import ValidationError

    issued = create_token(actor=owner, user=owner, name="ci")
    assert not ApiToken.objects.managed_by(deployer).exists()
    with pytest.raises(ValidationError, match="your teams' members"):
        revoke_token(issued.token, actor=deployer)
    assert ApiToken.objects.get().revoked_at is None


def test_an_expiry_outside_the_allowed_range_is_refused(owner):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        create_token(actor=owner, user=owner, name="ci", expires_in_days=1000)
    assert "1 to 365 days" in caught.value.message_dict["expires_in_days"][0]


def test_issuing_is_audited_without_the_secret(owner):
    issued = create_token(actor=owner, user=owner, name="ci")
    event = Event.objects.get(verb="create")
    assert issued.token.prefix in event.target
    assert issued.plain not in event.message + event.target


def test_create_token_command_prints_only_the_token(owner):
    out, err = StringIO(), StringIO()
    call_command("create_token", "olivia", "--name", "ci", stdout=out, stderr=err)
    plain = out.getvalue().strip()
    assert authenticate_token(plain).user == owner
    assert plain not in err.getvalue()


def test_create_token_command_names_an_unknown_user(db):
    with pytest.raises(CommandError, match="no user named 'ghost'"):
        call_command("create_token", "ghost", stdout=StringIO(), stderr=StringIO())
