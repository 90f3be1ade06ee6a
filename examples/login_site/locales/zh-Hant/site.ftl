# 範例網站自己的文字(繁體中文)。

## 每個頁面

banner-offline = 離線模式:
banner-simulator = 登入會送到 { $url } 的內建 LINE 模擬器,而不是 LINE。若要使用您的頻道,請設定 LINE_LOGIN_* 環境變數。
nav-home = 首頁
nav-profile = 個人資料
nav-members = 會員專區
logout = 登出
language = 語言
footer = Rust 套件 line-login 的示範網站。所有頁面都在伺服器端產生,只有 LIFF 示範頁使用 JavaScript。
line-user = LINE 使用者

## 首頁

home-welcome = 歡迎回來,{ $name }
home-logged-in = 您已使用 LINE 登入。您可以在個人資料中查看本網站從 LINE 收到的資訊,或將您的 LINE 帳號連結到會員帳號。
home-your-profile = 您的個人資料
home-hero = 使用 LINE 更快速購物
home-lead = 使用您的 LINE 帳號登入:不需要新密碼,而且由您決定本網站可以看到哪些資訊。
line-login-button = 使用LINE登入
home-card-profile = 您的名稱、大頭貼和電子郵件(在您允許時)、您的登入方式,以及您是否為我們 LINE 官方帳號的好友。
home-card-members = 以示範會員身分登入,然後連結或解除連結您的 LINE 帳號。連結資料保存在伺服器上。
home-card-json = 會傳回已登入的 LINE 使用者;沒有人登入時傳回 401。

## 個人資料

profile-picture = 大頭貼
line-user-id = LINE 使用者 ID
profile-email = 電子郵件
profile-email-not-shared = 未分享(未授予電子郵件權限)
profile-logged-in-with = 登入方式
profile-not-reported = 未提供
profile-friend = 是否為我們 LINE 帳號的好友
friend-yes = 好友
friend-no = 不是好友
friend-unknown = 不明
profile-friend-changed = 本次登入的變更
friend-option-not-shown = 未顯示加入好友選項
friend-added = 是,您在登入時將我們加為好友
friend-no-change = 沒有變更
profile-friend-changed-unverified = （依瀏覽器回報，未經驗證）
profile-became-friend = 此次登入成為好友
profile-became-friend-verified = （已向 LINE 確認）
profile-became-friend-yes = 是，歡迎！
profile-became-friend-no = 否
profile-linked-member = 已連結的會員
profile-member-details = (會員 { $id },{ $tier })
profile-not-linked = 尚未連結。
profile-link-member = 連結會員帳號
profile-logged-in-at = 登入時間
profile-view-json = 以 JSON 檢視
amr-pwd = 電子郵件地址和密碼
amr-lineautologin = 在 LINE 應用程式中自動登入
amr-lineqr = 使用 LINE 應用程式掃描 QR 碼
amr-linesso = 單一登入(已在此瀏覽器登入 LINE)
amr-mfa = 雙重驗證

## 會員專區

members-member = 會員 { $id }
members-line-account = LINE 帳號
members-linked-to = 已連結到 { $name }
members-linked-to-someone = 已連結到一個 LINE 帳號
members-unlink-note = 解除連結時,也會通知 LY Corporation(LINE)本網站對您 LINE 帳號的存取已經結束。
members-unlink = 解除 LINE 連結
members-not-linked = 尚未連結。
members-not-linked-hint = 連結您的 LINE 帳號後,即可使用 LINE 登入此會員帳號。
members-link-button = 連結LINE帳號
members-sign-out = 登出會員專區
members-intro = 現有會員系統的示範。以下列任一會員身分登入(此示範不需要密碼),然後連結您的 LINE 帳號。
members-number = 會員 { $id }
members-sign-in = 登入

## 操作後的通知

notice-logged-out = 您已登出。本網站已要求 LINE 撤銷其存取權杖。
notice-signed-in = 您已登入會員專區。
notice-signed-out = 您已登出會員專區。
notice-linked = 您的 LINE 帳號已連結到此會員帳號。
notice-unlinked = 您的 LINE 帳號已解除連結,您在本網站的 LINE 登入也隨之結束。已通知 LY Corporation 連結已結束。
notice-link-conflict = 該 LINE 帳號已連結到其他會員,或此會員已連結到其他 LINE 帳號。沒有做任何變更。
notice-no-member = 請先登入會員專區。
notice-unknown-member = 沒有這位示範會員。

## 錯誤頁面

failure-code = 錯誤代碼:
not-found-title = 找不到頁面
not-found-message = 這個網址沒有任何內容。
me-not-logged-in = 沒有人登入。請在 /auth/line/login 使用 LINE 登入。

## LIFF demo

nav-liff = LIFF 示範
liff-title = LIFF 與 LINE MINI App 示範
liff-lead = 此頁面扮演 LIFF 應用程式:向本網站索取 nonce,從 LINE 模擬器取得權杖(代替 liff.getIDToken() / liff.getAccessToken()),在 /auth/line/token-login 以其登入,再以該權杖作為 Bearer 呼叫 GET /api/me。
liff-user = 測試使用者
liff-id-token = 以 ID 權杖登入
liff-access-token = 以存取權杖登入
liff-stale = 試用已過期的權杖(如 LIFF SDK 的快取所傳回)
liff-logged-in = 已登入。GET /api/me(以權杖作為 Bearer)的回應:
liff-expired = LINE 權杖已過期。請重新登入以取得新的權杖。
liff-failed = 登入失敗:
liff-needs-simulator = 此示範需要內建的 LINE 模擬器:請在未設定 LINE_LOGIN_* 變數的情況下執行網站。使用您自己的頻道時,請在 LIFF 應用程式中使用 LIFF SDK。
