# line-login:登入層的訊息(繁體中文)。
# 英文版中的每個訊息 ID 都必須出現在這裡(由測試檢查)。

## 錯誤訊息:發生了什麼事,以及該怎麼做。`.title` 是錯誤頁面的標題。

error-session-gone = 無法將 LINE 的回應對應到在此瀏覽器中開始的登入。當途中切換了瀏覽器(例如在 LINE 應用程式與瀏覽器之間切換)或自動登入失敗時,就會發生這種情況。請再試一次。
    .title = 登入在途中遺失
error-expired-attempt = 此次登入花費的時間太長,已經過期。請再試一次。
    .title = 登入已過期
error-malformed = 登入要求的格式不正確。
    .title = 錯誤的要求
error-session-cookie = 您的瀏覽器從 LINE 返回時,沒有送回本網站的工作階段 Cookie。請再試一次;如果持續發生,表示本網站的工作階段 Cookie 設定有誤(必須為 SameSite=Lax),我們已通知網站管理員。
    .title = 工作階段已遺失
error-cancelled = 您已在 LINE 上取消登入。沒有分享任何資訊,您也沒有登入。
    .title = 已取消登入
error-line-refused = LINE 無法完成登入。請稍後再試。
    .title = LINE 拒絕了登入
error-line-busy = LINE 目前忙碌中。請稍候再試。
    .title = LINE 忙碌中
error-line-failed = LINE 未能完成登入。請再試一次。
    .title = 無法使用 LINE
error-line-unreachable = 無法連線至 LINE 以確認此次登入，請稍後再試。
    .title = 無法連線至 LINE
error-invalid-id-token = 無法驗證 LINE 的回應。請再試一次。
    .title = 無法驗證登入
error-token-expired = LINE 登入權杖已過期，請重新登入。
    .title = 登入已過期
error-token-not-accepted = 此 LINE 登入權杖無法在此使用，請重新登入。
    .title = 登入遭拒
error-insufficient-scope = 此應用程式需要您尚未在 LINE 授予的權限。請授予後再試一次。
    .title = 需要權限
error-unavailable = 服務暫時無法使用。沒有任何人登入;請稍後再試。
    .title = 暫時無法使用
error-misconfigured = 本網站的設定有誤。
    .title = 網站錯誤
error-method-not-allowed = 此操作需要透過表單送出。
    .title = 不允許的操作
error-not-logged-in = 請先使用 LINE 登入。
    .title = 尚未登入
error-cross-site = 此要求來自其他網站,已被拒絕。
    .title = 要求已被拒絕
error-no-member = 請先登入您的會員帳號。
    .title = 需要登入會員
error-link-conflict = 此 LINE 帳號或您的會員帳號已與其他帳號連結。沒有做任何變更。
    .title = 已經連結
error-link-conflict-line-user = 此 LINE 帳號已與其他會員連結。沒有做任何變更。
    .title = 已經連結
error-link-conflict-member = 此會員已與其他 LINE 帳號連結。沒有做任何變更。
    .title = 已經連結
error-link-conflict-concurrent = 連結同時被變更了;請再試一次。沒有做任何變更。
    .title = 已經連結
error-link-conflict-provider = 這次 LINE 登入來自其他提供者的服務,無法在此與您的會員連結。沒有做任何變更。
    .title = 無法連結
error-not-found = 找不到頁面。
    .title = 找不到

## 錯誤訊息外圍的頁面。

page-title = 登入:{ $title }
page-try-again = 再試一次
page-auto-login-help = 仍然失敗嗎?請參閱 LINE 關於自動登入的說明。
page-auto-login-help-url = https://help.line.me/line/ios/sp?lang=zh-Hant&contentId=20020693
page-home = 返回首頁

## 在其他應用程式的內建瀏覽器中開始登入時顯示的頁面。

in-app-browser-title = 請在瀏覽器中開啟此頁面
in-app-browser-advice = 此頁面是在其他應用程式中開啟的。LINE 登入可能會回到手機的預設瀏覽器,因此在這裡可能會失敗:請從應用程式的選單以瀏覽器(Safari、Chrome)開啟此頁面,然後再登入一次。
in-app-browser-app = 偵測到:{ $app } 的內建瀏覽器。
in-app-browser-continue = 仍要在這裡繼續
