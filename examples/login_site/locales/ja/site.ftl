# サンプルサイト独自のテキスト(日本語)。

## すべてのページ

banner-offline = オフラインモード:
banner-simulator = ログインはLINEではなく、{ $url } の組み込みLINEシミュレーターに送られます。自分のチャネルを使うには LINE_LOGIN_* 環境変数を設定してください。
nav-home = ホーム
nav-profile = プロフィール
nav-members = 会員エリア
logout = ログアウト
language = 言語
footer = Rustクレート line-login のデモサイトです。すべてのページはサーバーで生成され、JavaScriptを使うのはLIFFデモのページだけです。
line-user = LINEユーザー

## ホーム

home-welcome = おかえりなさい、{ $name }さん
home-logged-in = LINEでログインしています。このサイトがLINEから受け取った情報はプロフィールで確認できます。LINEアカウントを会員アカウントと連携することもできます。
home-your-profile = プロフィール
home-hero = LINEでもっと手軽にお買い物
home-lead = LINEアカウントでログイン: 新しいパスワードは不要で、このサイトに見せる情報はあなたが選べます。
line-login-button = LINEでログイン
home-card-profile = お名前、プロフィール画像、メールアドレス(許可した場合)、ログイン方法、LINE公式アカウントと友だちかどうか。
home-card-members = デモ会員としてサインインし、LINEアカウントを連携または連携解除できます。連携情報はサーバーに保存されます。
home-card-json = はログイン中のLINEユーザーを返します。ログインしていない場合は 401 を返します。

## プロフィール

profile-picture = プロフィール画像
line-user-id = LINEユーザーID
profile-email = メールアドレス
profile-email-not-shared = 共有されていません(メールアドレスの権限が許可されていません)
profile-logged-in-with = ログイン方法
profile-not-reported = 報告なし
profile-friend = LINE公式アカウントとの友だち関係
friend-yes = 友だち
friend-no = 友だちではありません
friend-unknown = 不明
profile-friend-changed = 今回のログインでの変更
friend-option-not-shown = 友だち追加オプションは表示されませんでした
friend-added = はい、ログイン時に友だち追加していただきました
friend-no-change = 変更なし
profile-friend-changed-unverified = （ブラウザーの報告どおり・未検証）
profile-became-friend = このログインで友だちになった
profile-became-friend-verified = （LINEで確認済み）
profile-became-friend-yes = はい、ようこそ！
profile-became-friend-no = いいえ
profile-linked-member = 連携している会員
profile-member-details = (会員番号 { $id }、{ $tier })
profile-not-linked = 連携していません。
profile-link-member = 会員アカウントと連携する
profile-logged-in-at = ログイン日時
profile-view-json = JSONで表示
amr-pwd = メールアドレスとパスワード
amr-lineautologin = LINEアプリでの自動ログイン
amr-lineqr = LINEアプリでQRコードを読み取り
amr-linesso = シングルサインオン(このブラウザでLINEにログイン済み)
amr-mfa = 2要素認証

## 会員エリア

members-member = 会員番号 { $id }
members-line-account = LINEアカウント
members-linked-to = { $name }と連携済み
members-linked-to-someone = LINEアカウントと連携済み
members-unlink-note = 連携を解除すると、このサイトからあなたのLINEアカウントへのアクセスが終了したことをLINEヤフー株式会社(LINE)にも通知します。
members-unlink = LINEの連携を解除
members-not-linked = 連携していません。
members-not-linked-hint = LINEアカウントを連携すると、この会員アカウントにLINEでログインできます。
members-link-button = LINEアカウントを連携
members-sign-out = 会員エリアからサインアウト
members-intro = 既存の会員システムのデモです。いずれかの会員としてサインインし(このデモではパスワード不要)、LINEアカウントを連携してください。
members-number = 会員番号 { $id }
members-sign-in = サインイン

## 操作後のお知らせ

notice-logged-out = ログアウトしました。このサイトはLINEにアクセストークンの取り消しを依頼しました。
notice-signed-in = 会員エリアにサインインしました。
notice-signed-out = 会員エリアからサインアウトしました。
notice-linked = LINEアカウントをこの会員アカウントと連携しました。
notice-unlinked = LINEアカウントの連携を解除し、このサイトでのLINEログインも終了しました。連携の終了はLINEヤフー株式会社に通知されました。
notice-link-conflict = そのLINEアカウントはすでに別の会員と、またはこの会員はすでに別のLINEアカウントと連携されています。変更は行われていません。
notice-no-member = まず会員エリアにサインインしてください。
notice-unknown-member = そのようなデモ会員はいません。

## エラーページ

failure-code = エラーコード:
not-found-title = ページが見つかりません
not-found-message = このアドレスには何もありません。
me-not-logged-in = ログインしていません。/auth/line/login からLINEでログインしてください。

## LIFF demo

nav-liff = LIFFデモ
liff-title = LIFF・LINEミニアプリのデモ
liff-lead = このページはLIFFアプリの役を演じます。このサイトにnonceを求め、LINEシミュレーターからトークンを受け取り（liff.getIDToken() / liff.getAccessToken() の代わり）、/auth/line/token-login でログインしてから、そのトークンをBearerとして GET /api/me を呼び出します。
liff-user = テストユーザー
liff-id-token = IDトークンでログイン
liff-access-token = アクセストークンでログイン
liff-stale = 期限切れのトークンを試す（LIFF SDKのキャッシュが返すもの）
liff-logged-in = ログインしました。GET /api/me（トークンをBearerとして）の応答:
liff-expired = LINEのトークンの有効期限が切れました。もう一度ログインして新しいトークンを取得してください。
liff-failed = ログインに失敗しました:
liff-needs-simulator = このデモには組み込みのLINEシミュレーターが必要です。LINE_LOGIN_* 変数を設定せずにサイトを起動してください。ご自身のチャネルでは、LIFFアプリでLIFF SDKを使ってください。
