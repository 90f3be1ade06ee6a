# Teks situs contoh dalam bahasa Indonesia.

## Setiap halaman

banner-offline = Mode offline:
banner-simulator = login dikirim ke simulator LINE bawaan di { $url }, bukan ke LINE. Atur variabel LINE_LOGIN_* untuk memakai channel Anda.
nav-home = Beranda
nav-profile = Profil
nav-members = Area anggota
logout = Keluar
language = Bahasa
footer = Situs demo untuk crate Rust line-login. Semua halaman dibuat di server; hanya halaman demo LIFF yang memakai JavaScript.
line-user = Pengguna LINE

## Beranda

home-welcome = Selamat datang kembali, { $name }
home-logged-in = Anda masuk dengan LINE. Lihat apa yang diterima situs ini dari LINE di profil Anda, atau tautkan akun LINE Anda ke akun anggota.
home-your-profile = Profil Anda
home-hero = Belanja lebih cepat dengan LINE
home-lead = Masuk dengan akun LINE Anda: tanpa kata sandi baru, dan Anda memilih apa yang boleh dilihat situs ini.
line-login-button = Masuk dengan LINE
home-card-profile = Nama, foto, dan email Anda (jika Anda izinkan), cara Anda masuk, dan apakah Anda berteman dengan LINE Official Account kami.
home-card-members = Masuk sebagai anggota demo, lalu tautkan atau lepaskan akun LINE Anda. Tautan disimpan di server.
home-card-json = mengembalikan pengguna LINE yang sedang masuk, atau 401 jika tidak ada yang masuk.

## Profil

profile-picture = Foto profil
line-user-id = ID pengguna LINE
profile-email = Email
profile-email-not-shared = Tidak dibagikan (izin email tidak diberikan)
profile-logged-in-with = Masuk dengan
profile-not-reported = tidak dilaporkan
profile-friend = Teman akun LINE kami
friend-yes = Teman
friend-no = Bukan teman
friend-unknown = Tidak diketahui
profile-friend-changed = Berubah saat login ini
friend-option-not-shown = Opsi tambah teman tidak ditampilkan
friend-added = Ya, Anda menambahkan kami sebagai teman saat masuk
friend-no-change = Tidak berubah
profile-friend-changed-unverified = (seperti yang dilaporkan browser, belum diverifikasi)
profile-became-friend = Teman baru pada login ini
profile-became-friend-verified = (diverifikasi dengan LINE)
profile-became-friend-yes = Ya, selamat datang!
profile-became-friend-no = Tidak
profile-linked-member = Anggota tertaut
profile-member-details = (anggota { $id }, { $tier })
profile-not-linked = Belum ditautkan.
profile-link-member = Tautkan akun anggota
profile-logged-in-at = Masuk pada
profile-view-json = Lihat sebagai JSON
amr-pwd = alamat email dan kata sandi
amr-lineautologin = login otomatis di aplikasi LINE
amr-lineqr = kode QR dipindai dengan aplikasi LINE
amr-linesso = single sign-on (sudah masuk ke LINE di browser ini)
amr-mfa = autentikasi dua faktor

## Area anggota

members-member = Anggota { $id }
members-line-account = Akun LINE
members-linked-to = Ditautkan ke { $name }
members-linked-to-someone = Ditautkan ke sebuah akun LINE
members-unlink-note = Melepas tautan juga memberi tahu LY Corporation (LINE) bahwa akses situs ini ke akun LINE Anda telah berakhir.
members-unlink = Lepaskan LINE
members-not-linked = Belum ditautkan.
members-not-linked-hint = Tautkan akun LINE Anda untuk masuk ke akun anggota ini dengan LINE.
members-link-button = Tautkan akun LINE
members-sign-out = Keluar dari area anggota
members-intro = Demo sistem anggota yang sudah ada. Masuk sebagai salah satu anggota ini (tanpa kata sandi dalam demo ini), lalu tautkan akun LINE Anda.
members-number = anggota { $id }
members-sign-in = Masuk

## Pemberitahuan setelah tindakan

notice-logged-out = Anda telah keluar. Situs ini meminta LINE mencabut token aksesnya.
notice-signed-in = Anda masuk ke area anggota.
notice-signed-out = Anda keluar dari area anggota.
notice-linked = Akun LINE Anda sekarang ditautkan ke akun anggota ini.
notice-unlinked = Akun LINE Anda tidak lagi ditautkan, dan login LINE Anda di situs ini ikut berakhir. LY Corporation telah diberi tahu bahwa tautan berakhir.
notice-link-conflict = Akun LINE itu sudah ditautkan ke anggota lain, atau anggota ini ke akun LINE lain. Tidak ada yang diubah.
notice-no-member = Silakan masuk ke area anggota terlebih dahulu.
notice-unknown-member = Tidak ada anggota demo tersebut.

## Halaman kegagalan

failure-code = Kode kesalahan:
not-found-title = Halaman tidak ditemukan
not-found-message = Tidak ada apa pun di alamat ini.
me-not-logged-in = Tidak ada yang masuk. Masuk dengan LINE di /auth/line/login.

## LIFF demo

nav-liff = Demo LIFF
liff-title = Demo LIFF dan LINE MINI App
liff-lead = Halaman ini berperan sebagai aplikasi LIFF: meminta nonce dari situs ini, mendapatkan token dari simulator LINE (pengganti liff.getIDToken() / liff.getAccessToken()), login dengannya di /auth/line/token-login, lalu memanggil GET /api/me dengan token tersebut sebagai Bearer.
liff-user = Pengguna uji
liff-id-token = Login dengan ID token
liff-access-token = Login dengan access token
liff-stale = Coba token yang kedaluwarsa (seperti yang dikembalikan cache LIFF SDK)
liff-logged-in = Berhasil login. GET /api/me (dengan token sebagai Bearer) menjawab:
liff-expired = Token LINE sudah kedaluwarsa. Silakan login lagi untuk mendapatkan token baru.
liff-failed = Login gagal:
liff-needs-simulator = Demo ini memerlukan simulator LINE bawaan: jalankan situs tanpa variabel LINE_LOGIN_*. Dengan channel Anda sendiri, gunakan LIFF SDK di aplikasi LIFF Anda.
