"""Signing in with the admin token, and out again."""

from flask import flash, redirect, render_template, request, url_for

from api.auth import TooManyAttempts
from console import security
from console.blueprint import bp


@bp.get("/sign-in")
def sign_in():
    """The sign-in form."""
    if security.signed_in():
        return redirect(url_for("console.connections"))
    return render_template("console/sign_in.html", next=security.safe_next(request.args.get("next")))


@bp.post("/sign-in")
def submit_sign_in():
    """Start a session if the token is the admin token."""
    target = security.safe_next(request.form.get("next"))
    try:
        signed_in = security.sign_in(request.form.get("token", ""))
    except TooManyAttempts as error:
        message = f"Too many wrong tokens from your address. Try again in {error.retry_after} seconds."
        page = render_template("console/sign_in.html", next=target, error=message)
        return page, 429, {"Retry-After": str(error.retry_after)}
    if not signed_in:
        error = "That is not the admin token. It is the ADMIN_TOKEN setting (bin/dev prints it)."
        return render_template("console/sign_in.html", next=target, error=error), 401
    return redirect(target or url_for("console.connections"))


@bp.post("/sign-out")
def sign_out():
    """End the session."""
    security.sign_out()
    flash("You are signed out.", "success")
    return redirect(url_for("console.sign_in"))
