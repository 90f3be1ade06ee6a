# line-login: ログイン層のメッセージ(日本語)。
# 英語版にあるメッセージ ID はすべてここにも必要です(テストで確認します)。

## エラーメッセージ: 何が起きたか、どうすればよいか。`.title` はエラーページの見出しです。

error-session-gone = LINEからの応答を、このブラウザで開始したログインと照合できませんでした。途中でブラウザが切り替わった場合(LINEアプリとブラウザの切り替えなど)や、自動ログインに失敗した場合に起こります。もう一度お試しください。
    .title = ログインが途中で失われました
error-expired-attempt = ログインに時間がかかりすぎたため、有効期限が切れました。もう一度お試しください。
    .title = ログインの有効期限が切れました
error-malformed = ログインのリクエストが正しくありません。
    .title = 不正なリクエスト
error-session-cookie = お使いのブラウザが、LINEから戻る際にこのサイトのセッションCookieを送信しませんでした。もう一度お試しください。繰り返し発生する場合は、サイトのセッションCookieの設定に問題があります(SameSite=Laxである必要があります)。サイトの運営者には通知済みです。
    .title = セッションが失われました
error-cancelled = LINEでのログインをキャンセルしました。情報は共有されておらず、ログインもしていません。
    .title = ログインがキャンセルされました
error-line-refused = LINEでログインを完了できませんでした。しばらくしてからもう一度お試しください。
    .title = LINEがログインを拒否しました
error-line-busy = 現在LINEが混み合っています。少し時間をおいてからもう一度お試しください。
    .title = LINEが混み合っています
error-line-failed = LINEでログインが完了しませんでした。もう一度お試しください。
    .title = LINEを利用できません
error-line-unreachable = ログインを確認するためにLINEに接続できませんでした。しばらくしてからもう一度お試しください。
    .title = LINEに接続できません
error-invalid-id-token = LINEからの応答を検証できませんでした。もう一度お試しください。
    .title = ログインを検証できませんでした
error-token-expired = LINEのログイントークンの有効期限が切れました。もう一度ログインしてください。
    .title = ログインの有効期限切れ
error-token-not-accepted = このLINEログイントークンはここでは使えません。もう一度ログインしてください。
    .title = ログインを受け付けられません
error-insufficient-scope = このアプリには、LINEでまだ許可されていない権限が必要です。許可してからもう一度お試しください。
    .title = 権限が必要です
error-unavailable = サービスは一時的に利用できません。ログインは行われていません。しばらくしてからもう一度お試しください。
    .title = 一時的に利用できません
error-misconfigured = このサイトの設定に誤りがあります。
    .title = サイトのエラー
error-method-not-allowed = この操作はフォームから送信する必要があります。
    .title = 許可されていない操作
error-not-logged-in = まずLINEでログインしてください。
    .title = ログインしていません
error-cross-site = このリクエストは別のサイトから送られたため、拒否されました。
    .title = リクエストを拒否しました
error-no-member = まず会員アカウントにサインインしてください。
    .title = 会員のサインインが必要です
error-link-conflict = このLINEアカウントまたは会員アカウントは、すでに別のアカウントと連携されています。変更は行われていません。
    .title = 連携済みです
error-link-conflict-line-user = このLINEアカウントは、すでに別の会員と連携されています。変更は行われていません。
    .title = 連携済みです
error-link-conflict-member = この会員は、すでに別のLINEアカウントと連携されています。変更は行われていません。
    .title = 連携済みです
error-link-conflict-concurrent = 連携が同時に変更されました。もう一度お試しください。変更は行われていません。
    .title = 連携済みです
error-link-conflict-provider = このLINEログインは別のプロバイダーのサービスを経由しているため、ここで会員と連携できません。変更は行われていません。
    .title = 連携できません
error-not-found = ページが見つかりません。
    .title = 見つかりません

## エラーメッセージを囲むページ。

page-title = ログイン: { $title }
page-try-again = もう一度試す
page-auto-login-help = それでも失敗する場合は、LINEの自動ログインに関するヘルプをご覧ください。
page-auto-login-help-url = https://help.line.me/line/ios/sp?lang=ja&contentId=20020693
page-home = ホームページに戻る

## 他のアプリ内ブラウザでログインを始めたときに表示するページ。

in-app-browser-title = このページをブラウザで開いてください
in-app-browser-advice = このページは他のアプリの中で開かれています。LINEログインは端末の標準ブラウザに戻るため、ここでは失敗することがあります。アプリのメニューからこのページをブラウザ(Safari、Chrome)で開き、もう一度ログインしてください。
in-app-browser-app = 検出されたブラウザ: { $app } のアプリ内ブラウザ
in-app-browser-continue = このまま続ける
