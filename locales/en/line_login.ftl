# line-login: the login layer's messages in English (the fallback language).
# Every message id here must exist in every other language (a test checks it).

## Error messages: what happened and what to do. `.title` heads the error page.

error-session-gone = We could not match LINE's answer to a login started in this browser. This happens when the browser changed on the way (for example switching between the LINE app and your browser) or when automatic login failed. Please try again.
    .title = The login was lost on the way
error-expired-attempt = This login took too long and expired. Please try again.
    .title = The login expired
error-malformed = The login request was malformed.
    .title = Bad request
error-session-cookie = Your browser did not send this site's session cookie back from LINE. Please try again; if this keeps happening, the site's session cookie is misconfigured (it must be SameSite=Lax) and its operators have been told.
    .title = The session was lost
error-cancelled = You cancelled the login on LINE. Nothing was shared and you are not logged in.
    .title = Login cancelled
error-line-refused = LINE could not complete the login. Please try again later.
    .title = LINE refused the login
error-line-busy = LINE is busy right now. Please try again in a moment.
    .title = LINE is busy
error-line-failed = LINE did not complete the login. Please try again.
    .title = LINE is unavailable
error-line-unreachable = LINE could not be reached to check this login. Please try again in a moment.
    .title = LINE could not be reached
error-invalid-id-token = LINE's answer could not be verified. Please try again.
    .title = The login could not be verified
error-token-expired = The LINE login token has expired. Please log in again.
    .title = Login expired
error-token-not-accepted = This LINE login token cannot be used here. Please log in again.
    .title = Login refused
error-insufficient-scope = This app needs a permission you have not granted on LINE. Grant it and try again.
    .title = Permission needed
error-unavailable = The service is temporarily unavailable. Nobody was logged in; please try again shortly.
    .title = Temporarily unavailable
error-misconfigured = This site is misconfigured.
    .title = Site error
error-method-not-allowed = This action needs a form submission.
    .title = Method not allowed
error-not-logged-in = Please log in with LINE first.
    .title = Not logged in
error-cross-site = This request came from another site and was refused.
    .title = Request refused
error-no-member = Please sign in to your member account first.
    .title = Member sign-in needed
error-link-conflict = This LINE account or your member account is already linked elsewhere. Nothing was changed.
    .title = Already linked
error-link-conflict-line-user = This LINE account is already linked to another member. Nothing was changed.
    .title = Already linked
error-link-conflict-member = This member is already linked to another LINE account. Nothing was changed.
    .title = Already linked
error-link-conflict-concurrent = The link changed at the same time; try again. Nothing was changed.
    .title = Already linked
error-link-conflict-provider = This LINE login came through a service of another LINE provider and cannot be linked to your membership here. Nothing was changed.
    .title = Cannot link
error-not-found = Not found.
    .title = Not found

## The error page around the message.

page-title = Login: { $title }
page-try-again = Try again
page-auto-login-help = Still failing? See LINE's help on automatic login.
page-auto-login-help-url = https://help.line.me/line/ios/sp?lang=en&contentId=20020693
page-home = Back to the home page

## The page shown when a login starts in another app's in-app browser.

in-app-browser-title = Open this page in your browser
in-app-browser-advice = This page is open inside another app. LINE Login may return to your phone's default browser and fail here: open this page in your browser (Safari, Chrome) from the app's menu, then log in again.
in-app-browser-app = Detected: the in-app browser of { $app }.
in-app-browser-continue = Continue here anyway
