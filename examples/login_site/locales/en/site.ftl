# The example site's own texts in English. The crate's messages (errors, "Try again", ...) come
# from line-login's catalogue; every id here must exist in every other language (a test checks).

## Every page

banner-offline = Offline mode:
banner-simulator = logins go to the built-in LINE simulator at { $url }, not to LINE. Set the LINE_LOGIN_* variables to use your channel.
nav-home = Home
nav-profile = Profile
nav-members = Member area
logout = Log out
language = Language
footer = A demo site for the line-login Rust crate. Everything here is server-rendered; only the LIFF demo page uses JavaScript.
line-user = LINE user

## Home

home-welcome = Welcome back, { $name }
home-logged-in = You are logged in with LINE. See what this site received from LINE on your profile, or link your LINE account to a member account.
home-your-profile = Your profile
home-hero = Shop faster with LINE
home-lead = Log in with your LINE account: no new password, and you choose what this site may see.
line-login-button = Log in with LINE
home-card-profile = Your name, picture and email (when you allow it), how you logged in, and whether you are friends with our LINE Official Account.
home-card-members = Sign in as a demo member, then link or unlink your LINE account. Links are kept on the server.
home-card-json = returns the logged-in LINE user, or 401 when nobody is logged in.

## Profile

profile-picture = Profile picture
line-user-id = LINE user ID
profile-email = Email
profile-email-not-shared = Not shared (the email permission was not granted)
profile-logged-in-with = Logged in with
profile-not-reported = not reported
profile-friend = Friend of our LINE account
friend-yes = Friend
friend-no = Not a friend
friend-unknown = Unknown
profile-friend-changed = Changed at this login
friend-option-not-shown = The add-friend option was not shown
friend-added = Yes, you added us as a friend while logging in
friend-no-change = No change
profile-friend-changed-unverified = (as the browser reported it, unverified)
profile-became-friend = New friend at this login
profile-became-friend-verified = (verified with LINE)
profile-became-friend-yes = Yes, welcome!
profile-became-friend-no = No
profile-linked-member = Linked member
profile-member-details = (member { $id }, { $tier })
profile-not-linked = Not linked.
profile-link-member = Link a member account
profile-logged-in-at = Logged in at
profile-view-json = View as JSON
amr-pwd = email address and password
amr-lineautologin = automatic login in the LINE app
amr-lineqr = QR code scanned with the LINE app
amr-linesso = single sign-on (already logged in to LINE in this browser)
amr-mfa = two-factor authentication

## Member area

members-member = Member { $id }
members-line-account = LINE account
members-linked-to = Linked to { $name }
members-linked-to-someone = Linked to a LINE account
members-unlink-note = Unlinking also tells LY Corporation (LINE) that this site's access to your LINE account ended.
members-unlink = Unlink LINE
members-not-linked = Not linked.
members-not-linked-hint = Link your LINE account to log in to this member account with LINE.
members-link-button = Link LINE account
members-sign-out = Sign out of the member area
members-intro = A demo of an existing member system. Sign in as one of these members (no password in this demo), then link your LINE account.
members-number = member { $id }
members-sign-in = Sign in

## Notices after an action

notice-logged-out = You are logged out. This site told LINE to revoke its access token.
notice-signed-in = You are signed in to the member area.
notice-signed-out = You signed out of the member area.
notice-linked = Your LINE account is now linked to this member account.
notice-unlinked = Your LINE account is no longer linked, and your LINE login on this site ended with it. LY Corporation was notified that the link ended.
notice-link-conflict = That LINE account is already linked to another member, or this member to another LINE account. Nothing was changed.
notice-no-member = Please sign in to the member area first.
notice-unknown-member = There is no such demo member.

## Failure pages

failure-code = Error code:
not-found-title = Page not found
not-found-message = There is nothing at this address.
me-not-logged-in = Nobody is logged in. Log in with LINE at /auth/line/login.

## LIFF demo

nav-liff = LIFF demo
liff-title = LIFF and LINE MINI App demo
liff-lead = This page plays a LIFF app: it asks this site for a nonce, gets a token from the LINE simulator (standing in for liff.getIDToken() / liff.getAccessToken()), logs in with it at /auth/line/token-login, then calls GET /api/me with the token as a Bearer credential.
liff-user = Test user
liff-id-token = Log in with an ID token
liff-access-token = Log in with an access token
liff-stale = Try an expired token (as the LIFF SDK's cache returns it)
liff-logged-in = Logged in. GET /api/me (with the token as Bearer) answered:
liff-expired = The LINE token has expired. Log in again to get a fresh one.
liff-failed = The login failed:
liff-needs-simulator = This demo needs the built-in LINE simulator: run the site without LINE_LOGIN_* variables. With your own channel, use the LIFF SDK in your LIFF app.
