# ข้อความของเว็บไซต์ตัวอย่าง (ภาษาไทย)

## ทุกหน้า

banner-offline = โหมดออฟไลน์:
banner-simulator = การเข้าสู่ระบบจะไปที่ตัวจำลอง LINE ในตัวที่ { $url } ไม่ใช่ LINE จริง หากต้องการใช้แชนเนลของคุณ ให้ตั้งค่าตัวแปร LINE_LOGIN_*
nav-home = หน้าแรก
nav-profile = โปรไฟล์
nav-members = พื้นที่สมาชิก
logout = ออกจากระบบ
language = ภาษา
footer = เว็บไซต์สาธิตสำหรับ Rust crate line-login ทุกหน้าสร้างบนเซิร์ฟเวอร์ มีเพียงหน้าสาธิต LIFF ที่ใช้ JavaScript
line-user = ผู้ใช้ LINE

## หน้าแรก

home-welcome = ยินดีต้อนรับกลับมา { $name }
home-logged-in = คุณเข้าสู่ระบบด้วย LINE แล้ว ดูข้อมูลที่เว็บไซต์นี้ได้รับจาก LINE ในโปรไฟล์ของคุณ หรือเชื่อมโยงบัญชี LINE กับบัญชีสมาชิก
home-your-profile = โปรไฟล์ของคุณ
home-hero = ช้อปได้เร็วขึ้นด้วย LINE
home-lead = เข้าสู่ระบบด้วยบัญชี LINE ของคุณ: ไม่ต้องตั้งรหัสผ่านใหม่ และคุณเลือกได้ว่าเว็บไซต์นี้จะเห็นข้อมูลอะไรบ้าง
line-login-button = เข้าสู่ระบบด้วย LINE
home-card-profile = ชื่อ รูปภาพ และอีเมลของคุณ (เมื่อคุณอนุญาต) วิธีที่คุณเข้าสู่ระบบ และคุณเป็นเพื่อนกับบัญชี LINE Official Account ของเราหรือไม่
home-card-members = ลงชื่อเข้าใช้เป็นสมาชิกสาธิต แล้วเชื่อมโยงหรือยกเลิกการเชื่อมโยงบัญชี LINE ของคุณ ข้อมูลการเชื่อมโยงเก็บไว้บนเซิร์ฟเวอร์
home-card-json = จะส่งคืนผู้ใช้ LINE ที่เข้าสู่ระบบอยู่ หรือ 401 เมื่อไม่มีผู้ใดเข้าสู่ระบบ

## โปรไฟล์

profile-picture = รูปโปรไฟล์
line-user-id = ID ผู้ใช้ LINE
profile-email = อีเมล
profile-email-not-shared = ไม่ได้แชร์ (ไม่ได้ให้สิทธิ์อีเมล)
profile-logged-in-with = เข้าสู่ระบบด้วย
profile-not-reported = ไม่มีการรายงาน
profile-friend = เป็นเพื่อนกับบัญชี LINE ของเรา
friend-yes = เพื่อน
friend-no = ไม่ใช่เพื่อน
friend-unknown = ไม่ทราบ
profile-friend-changed = การเปลี่ยนแปลงในการเข้าสู่ระบบครั้งนี้
friend-option-not-shown = ไม่ได้แสดงตัวเลือกเพิ่มเพื่อน
friend-added = ใช่ คุณเพิ่มเราเป็นเพื่อนขณะเข้าสู่ระบบ
friend-no-change = ไม่มีการเปลี่ยนแปลง
profile-friend-changed-unverified = (ตามที่เบราว์เซอร์รายงาน ยังไม่ได้ยืนยัน)
profile-became-friend = เป็นเพื่อนใหม่ในการเข้าสู่ระบบครั้งนี้
profile-became-friend-verified = (ยืนยันกับ LINE แล้ว)
profile-became-friend-yes = ใช่ ยินดีต้อนรับ!
profile-became-friend-no = ไม่ใช่
profile-linked-member = สมาชิกที่เชื่อมโยง
profile-member-details = (สมาชิก { $id }, { $tier })
profile-not-linked = ยังไม่ได้เชื่อมโยง
profile-link-member = เชื่อมโยงบัญชีสมาชิก
profile-logged-in-at = เข้าสู่ระบบเมื่อ
profile-view-json = ดูเป็น JSON
amr-pwd = อีเมลและรหัสผ่าน
amr-lineautologin = เข้าสู่ระบบอัตโนมัติในแอป LINE
amr-lineqr = สแกนคิวอาร์โค้ดด้วยแอป LINE
amr-linesso = การลงชื่อเข้าใช้ครั้งเดียว (เข้าสู่ระบบ LINE ในเบราว์เซอร์นี้อยู่แล้ว)
amr-mfa = การยืนยันตัวตนแบบสองขั้นตอน

## พื้นที่สมาชิก

members-member = สมาชิก { $id }
members-line-account = บัญชี LINE
members-linked-to = เชื่อมโยงกับ { $name } แล้ว
members-linked-to-someone = เชื่อมโยงกับบัญชี LINE แล้ว
members-unlink-note = การยกเลิกการเชื่อมโยงจะแจ้ง LY Corporation (LINE) ด้วยว่าการเข้าถึงบัญชี LINE ของคุณโดยเว็บไซต์นี้สิ้นสุดลงแล้ว
members-unlink = ยกเลิกการเชื่อมโยง LINE
members-not-linked = ยังไม่ได้เชื่อมโยง
members-not-linked-hint = เชื่อมโยงบัญชี LINE ของคุณเพื่อเข้าสู่ระบบบัญชีสมาชิกนี้ด้วย LINE
members-link-button = เชื่อมโยงบัญชี LINE
members-sign-out = ออกจากพื้นที่สมาชิก
members-intro = การสาธิตระบบสมาชิกที่มีอยู่ ลงชื่อเข้าใช้เป็นสมาชิกคนใดคนหนึ่ง (การสาธิตนี้ไม่ต้องใช้รหัสผ่าน) แล้วเชื่อมโยงบัญชี LINE ของคุณ
members-number = สมาชิก { $id }
members-sign-in = ลงชื่อเข้าใช้

## การแจ้งเตือนหลังการดำเนินการ

notice-logged-out = คุณออกจากระบบแล้ว เว็บไซต์นี้ได้แจ้งให้ LINE เพิกถอนโทเค็นการเข้าถึงแล้ว
notice-signed-in = คุณลงชื่อเข้าใช้พื้นที่สมาชิกแล้ว
notice-signed-out = คุณออกจากพื้นที่สมาชิกแล้ว
notice-linked = บัญชี LINE ของคุณเชื่อมโยงกับบัญชีสมาชิกนี้แล้ว
notice-unlinked = บัญชี LINE ของคุณไม่ได้เชื่อมโยงแล้ว และการเข้าสู่ระบบด้วย LINE บนเว็บไซต์นี้สิ้นสุดลงด้วย ได้แจ้ง LY Corporation แล้วว่าการเชื่อมโยงสิ้นสุดลง
notice-link-conflict = บัญชี LINE นั้นเชื่อมโยงกับสมาชิกคนอื่นอยู่แล้ว หรือสมาชิกนี้เชื่อมโยงกับบัญชี LINE อื่นอยู่แล้ว ไม่มีการเปลี่ยนแปลงใด ๆ
notice-no-member = โปรดลงชื่อเข้าใช้พื้นที่สมาชิกก่อน
notice-unknown-member = ไม่มีสมาชิกสาธิตนี้

## หน้าข้อผิดพลาด

failure-code = รหัสข้อผิดพลาด:
not-found-title = ไม่พบหน้า
not-found-message = ไม่มีอะไรที่ที่อยู่นี้
me-not-logged-in = ไม่มีผู้ใดเข้าสู่ระบบ เข้าสู่ระบบด้วย LINE ที่ /auth/line/login

## LIFF demo

nav-liff = สาธิต LIFF
liff-title = สาธิต LIFF และ LINE MINI App
liff-lead = หน้านี้ทำหน้าที่เป็นแอป LIFF: ขอ nonce จากเว็บไซต์นี้ รับโทเค็นจากโปรแกรมจำลอง LINE (แทน liff.getIDToken() / liff.getAccessToken()) เข้าสู่ระบบด้วยโทเค็นนั้นที่ /auth/line/token-login แล้วเรียก GET /api/me โดยใช้โทเค็นเป็น Bearer
liff-user = ผู้ใช้ทดสอบ
liff-id-token = เข้าสู่ระบบด้วย ID token
liff-access-token = เข้าสู่ระบบด้วย access token
liff-stale = ลองโทเค็นที่หมดอายุ (แบบที่แคชของ LIFF SDK ส่งกลับมา)
liff-logged-in = เข้าสู่ระบบแล้ว GET /api/me (ใช้โทเค็นเป็น Bearer) ตอบว่า:
liff-expired = โทเค็น LINE หมดอายุแล้ว โปรดเข้าสู่ระบบอีกครั้งเพื่อรับโทเค็นใหม่
liff-failed = เข้าสู่ระบบไม่สำเร็จ:
liff-needs-simulator = การสาธิตนี้ต้องใช้โปรแกรมจำลอง LINE ในตัว: เรียกใช้เว็บไซต์โดยไม่ตั้งค่าตัวแปร LINE_LOGIN_* หากใช้ช่องทางของคุณเอง ให้ใช้ LIFF SDK ในแอป LIFF ของคุณ
