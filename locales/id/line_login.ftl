# line-login: pesan lapisan login dalam bahasa Indonesia.
# Setiap ID pesan dalam bahasa Inggris juga harus ada di sini (diperiksa oleh pengujian).

## Pesan kesalahan: apa yang terjadi dan apa yang harus dilakukan. `.title` adalah judul halaman kesalahan.

error-session-gone = Kami tidak dapat mencocokkan jawaban LINE dengan login yang dimulai di browser ini. Hal ini terjadi jika browser berganti di tengah jalan (misalnya beralih antara aplikasi LINE dan browser Anda) atau jika login otomatis gagal. Silakan coba lagi.
    .title = Login hilang di tengah jalan
error-expired-attempt = Login ini memakan waktu terlalu lama dan telah kedaluwarsa. Silakan coba lagi.
    .title = Login kedaluwarsa
error-malformed = Permintaan login tidak valid.
    .title = Permintaan tidak valid
error-session-cookie = Browser Anda tidak mengirim kembali cookie sesi situs ini dari LINE. Silakan coba lagi; jika terus terjadi, cookie sesi situs ini salah dikonfigurasi (harus SameSite=Lax) dan pengelolanya telah diberi tahu.
    .title = Sesi hilang
error-cancelled = Anda membatalkan login di LINE. Tidak ada yang dibagikan dan Anda tidak masuk.
    .title = Login dibatalkan
error-line-refused = LINE tidak dapat menyelesaikan login. Silakan coba lagi nanti.
    .title = LINE menolak login
error-line-busy = LINE sedang sibuk. Silakan coba lagi sebentar lagi.
    .title = LINE sedang sibuk
error-line-failed = LINE tidak menyelesaikan login. Silakan coba lagi.
    .title = LINE tidak tersedia
error-line-unreachable = LINE tidak dapat dihubungi untuk memeriksa login ini. Silakan coba lagi sebentar lagi.
    .title = LINE tidak dapat dihubungi
error-invalid-id-token = Jawaban LINE tidak dapat diverifikasi. Silakan coba lagi.
    .title = Login tidak dapat diverifikasi
error-token-expired = Token login LINE sudah kedaluwarsa. Silakan login lagi.
    .title = Login kedaluwarsa
error-token-not-accepted = Token login LINE ini tidak dapat digunakan di sini. Silakan login lagi.
    .title = Login ditolak
error-insufficient-scope = Aplikasi ini memerlukan izin yang belum Anda berikan di LINE. Berikan izin tersebut lalu coba lagi.
    .title = Izin diperlukan
error-unavailable = Layanan untuk sementara tidak tersedia. Tidak ada yang masuk; silakan coba lagi sebentar lagi.
    .title = Sementara tidak tersedia
error-misconfigured = Situs ini salah dikonfigurasi.
    .title = Kesalahan situs
error-method-not-allowed = Tindakan ini memerlukan pengiriman formulir.
    .title = Metode tidak diizinkan
error-not-logged-in = Silakan masuk dengan LINE terlebih dahulu.
    .title = Belum masuk
error-cross-site = Permintaan ini berasal dari situs lain dan ditolak.
    .title = Permintaan ditolak
error-no-member = Silakan masuk ke akun anggota Anda terlebih dahulu.
    .title = Perlu masuk sebagai anggota
error-link-conflict = Akun LINE ini atau akun anggota Anda sudah ditautkan di tempat lain. Tidak ada yang diubah.
    .title = Sudah ditautkan
error-link-conflict-line-user = Akun LINE ini sudah ditautkan ke anggota lain. Tidak ada yang diubah.
    .title = Sudah ditautkan
error-link-conflict-member = Anggota ini sudah ditautkan ke akun LINE lain. Tidak ada yang diubah.
    .title = Sudah ditautkan
error-link-conflict-concurrent = Tautan berubah pada saat yang sama; silakan coba lagi. Tidak ada yang diubah.
    .title = Sudah ditautkan
error-link-conflict-provider = Login LINE ini berasal dari layanan penyedia LINE lain dan tidak dapat ditautkan ke keanggotaan Anda di sini. Tidak ada yang diubah.
    .title = Tidak dapat ditautkan
error-not-found = Tidak ditemukan.
    .title = Tidak ditemukan

## Halaman di sekitar pesan kesalahan.

page-title = Login: { $title }
page-try-again = Coba lagi
page-auto-login-help = Masih gagal? Lihat bantuan LINE tentang login otomatis.
page-auto-login-help-url = https://help.line.me/line/ios/sp?lang=id&contentId=20020693
page-home = Kembali ke beranda

## Halaman yang ditampilkan saat login dimulai di browser dalam aplikasi lain.

in-app-browser-title = Buka halaman ini di browser Anda
in-app-browser-advice = Halaman ini terbuka di dalam aplikasi lain. Login LINE mungkin kembali ke browser bawaan ponsel Anda dan gagal di sini: buka halaman ini di browser Anda (Safari, Chrome) dari menu aplikasi, lalu login lagi.
in-app-browser-app = Terdeteksi: browser dalam aplikasi { $app }.
in-app-browser-continue = Tetap lanjutkan di sini
