// English and Bahasa Indonesia. Pick with ?lang=id or the browser's language.
const STRINGS = {
  en: {
    live: "LIVE", scheduled: "Starting soon", ended: "This show has ended", viewers: "watching",
    connecting: "Connecting…", reconnecting: "Reconnecting…", closed: "Disconnected", offline_hint: "We'll reconnect by ourselves — your messages wait until then.",
    chat: "Chat", send: "Send", say: "Say something…", reply: "Reply", replying: "Replying to", sending: "Sending…", not_sent: "Not sent — tap to retry",
    pinned: "Pinned", claim: "Claim", buy: "Buy", add_to_cart: "Add to cart", details: "Details", units: "Quantity", left: "left", sold_out: "Sold out", sold: "sold",
    only_left: "Only {n} left!", off: "off", was: "was",
    starts_in: "Starts in", ends_in: "Ends in", offer_ended: "Offer ended", members_first: "Members first",
    reserved: "Reserved! Complete checkout in", reserved_short: "Reserved", checkout: "Complete checkout", cancel_order: "Cancel",
    my_orders: "My orders", no_orders: "Nothing claimed yet. Claim a deal while it's live.", order_expired: "Expired", order_cancelled: "Cancelled", order_paid: "Paid",
    bag: "Products", bag_empty: "No products in this show yet. The host pins them as the show goes.",
    poll: "Poll", vote: "Vote", votes: "votes", closed_poll: "Final results", no_poll: "No poll right now.",
    questions: "Questions", ask: "Ask", ask_placeholder: "Ask the host…", upvote: "Upvote", answered: "Answered", no_questions: "No questions yet. Ask the first one!",
    giveaway: "Giveaway", winners: "Winners", enter: "Enter", entered: "You're in!", entrants: "entered", no_giveaway: "No giveaway right now.",
    members_only: "Chat is for members right now", guest: "Sign in to chat",
    guest_title: "Sign in to join in", guest_body: "As a guest you can watch. Sign in to chat, claim deals, vote, ask and react.", sign_in: "Sign in",
    auth_failed: "Your sign-in has expired or is not valid. Sign in again to take part.", room_missing: "This show doesn't exist (any more).",
    forbidden_room: "This show isn't open to you.", kicked: "Too many connections or errors — reload in a moment.",
    react: "React", more_reactions: "More reactions", close: "Close", points: "pts",
    moderation: "Moderation", delete: "Delete", timeout: "Time out", ban: "Ban", unban: "Unban", untimeout: "Lift time-out", slow_mode: "Slow mode (s)",
    appoint: "Make moderator", dismiss: "Remove moderator", moderators: "Moderators", banned_list: "Banned", timed_out_list: "Timed out", nobody: "Nobody",
    user_id: "User id", members_chat: "Members-only chat", apply: "Apply", done: "Done",
    go_live: "Go live", end: "End show", end_confirm: "End the show for everyone? Viewers are disconnected and open offers end.", keep_going: "Keep going",
    pin: "Pin", unpin: "Unpin", flash_sale: "Flash sale", launch_offer: "Launch flash sale", price: "Price", discount: "Discount %",
    members_only_offer: "Members only", direct: "Direct (no affiliate)",
    per_buyer: "Per buyer", duration: "Seconds", delay: "Starts in (s)", early_access: "Members early (s)", end_offer: "End offer",
    create_poll: "Create poll", question: "Question", options: "Options (one per line)", close_poll: "Close poll", answer: "Mark answered", highlight: "Highlight",
    start_giveaway: "Start giveaway", draw: "Draw", claims: "Claims", revenue: "Revenue", affiliates: "Affiliate sales", no_sales: "No sales yet",
    catalog: "Catalog", catalog_empty: "No products in the catalog. Import them with PUT /v1/catalog/{owner}/products.", running: "Live offers",
    sessions: "Sessions", replay: "Replay", play: "Play", pause: "Pause", export: "Export", viewers_chart: "Viewers", sales_chart: "Paid orders", messages_chart: "Chat messages",
    unique_viewers: "Unique viewers", per_minute: "Minute by minute",
    peak: "Peak", duration_label: "Duration", conversion: "Conversion", buyers: "Buyers", reactions: "Reactions", no_sessions: "No sessions yet.",
    timeline: "Timeline", minute: "min", moderation_log: "Moderation log", no_actions: "No moderation actions.", choose_session: "Choose a session to see its numbers and replay it.",
    m_pin: "Pin", m_offer: "Offer", m_poll: "Poll", m_giveaway: "Giveaway", m_spike: "Spike", m_auction: "Auction",
    role_host: "Host", role_moderator: "Mod", role_brand: "Brand", role_affiliate: "Partner",
    badge_first_purchase: "First purchase", badge_top_supporter: "Top supporter", badge_regular: "Regular",
    rules: "Community rules", accept_rules: "I accept the rules", rules_accepted: "Thanks — you can chat now", read_rules: "Read the rules",
    held: "Waiting for review", rejected_note: "Removed by a moderator", blocked_note: "Not posted", report: "Report", reported: "Reported — thanks, a moderator will look",
    review_queue: "Review queue", queue_empty: "Nothing to review.", approve: "Approve", reject: "Reject", kind_held: "Held", kind_reported: "Reported",
    shadow_mute: "Shadow-mute", shadow_unmute: "Unmute", shadow_list: "Shadow-muted", report_threshold: "Reports to hide", shadowed: "shadow-muted",
    error_generic: "Something went wrong — try again",
    thinned: "Chat is busy: showing some of the messages",
  },
  id: {
    live: "LIVE", scheduled: "Segera dimulai", ended: "Siaran ini telah berakhir", viewers: "menonton",
    connecting: "Menghubungkan…", reconnecting: "Menghubungkan ulang…", closed: "Terputus", offline_hint: "Kami akan menyambung lagi otomatis — pesanmu menunggu sampai tersambung.",
    chat: "Obrolan", send: "Kirim", say: "Tulis sesuatu…", reply: "Balas", replying: "Membalas", sending: "Mengirim…", not_sent: "Gagal terkirim — ketuk untuk coba lagi",
    pinned: "Disematkan", claim: "Ambil", buy: "Beli", add_to_cart: "Masukkan keranjang", details: "Detail", units: "Jumlah", left: "tersisa", sold_out: "Habis", sold: "terjual",
    only_left: "Tinggal {n} lagi!", off: "hemat", was: "semula",
    starts_in: "Mulai dalam", ends_in: "Berakhir dalam", offer_ended: "Penawaran berakhir", members_first: "Anggota duluan",
    reserved: "Dipesan! Selesaikan pembayaran dalam", reserved_short: "Dipesan", checkout: "Selesaikan pembayaran", cancel_order: "Batalkan",
    my_orders: "Pesananku", no_orders: "Belum ada yang diambil. Ambil promo selagi siaran berlangsung.", order_expired: "Kedaluwarsa", order_cancelled: "Dibatalkan", order_paid: "Dibayar",
    bag: "Produk", bag_empty: "Belum ada produk di siaran ini. Host akan menyematkannya selama siaran.",
    poll: "Polling", vote: "Pilih", votes: "suara", closed_poll: "Hasil akhir", no_poll: "Tidak ada polling saat ini.",
    questions: "Pertanyaan", ask: "Tanya", ask_placeholder: "Tanya host…", upvote: "Dukung", answered: "Terjawab", no_questions: "Belum ada pertanyaan. Jadilah yang pertama!",
    giveaway: "Giveaway", winners: "Pemenang", enter: "Ikut", entered: "Kamu ikut!", entrants: "ikut", no_giveaway: "Tidak ada giveaway saat ini.",
    members_only: "Obrolan khusus anggota saat ini", guest: "Masuk untuk mengobrol",
    guest_title: "Masuk untuk ikut serta", guest_body: "Sebagai tamu kamu bisa menonton. Masuk untuk mengobrol, mengambil promo, memilih, bertanya, dan memberi reaksi.", sign_in: "Masuk",
    auth_failed: "Sesi masukmu kedaluwarsa atau tidak valid. Masuk lagi untuk ikut serta.", room_missing: "Siaran ini tidak ada (lagi).",
    forbidden_room: "Siaran ini tidak terbuka untukmu.", kicked: "Terlalu banyak koneksi atau kesalahan — muat ulang sebentar lagi.",
    react: "Reaksi", more_reactions: "Reaksi lain", close: "Tutup", points: "poin",
    moderation: "Moderasi", delete: "Hapus", timeout: "Bisukan", ban: "Blokir", unban: "Buka blokir", untimeout: "Akhiri bisu", slow_mode: "Mode lambat (dtk)",
    appoint: "Jadikan moderator", dismiss: "Copot moderator", moderators: "Moderator", banned_list: "Diblokir", timed_out_list: "Dibisukan", nobody: "Tidak ada",
    user_id: "ID pengguna", members_chat: "Obrolan khusus anggota", apply: "Terapkan", done: "Selesai",
    go_live: "Mulai siaran", end: "Akhiri siaran", end_confirm: "Akhiri siaran untuk semua orang? Penonton terputus dan penawaran yang berjalan berakhir.", keep_going: "Lanjutkan",
    pin: "Sematkan", unpin: "Lepas", flash_sale: "Flash sale", launch_offer: "Luncurkan flash sale", price: "Harga", discount: "Diskon %",
    members_only_offer: "Khusus anggota", direct: "Langsung (tanpa afiliasi)",
    per_buyer: "Per pembeli", duration: "Detik", delay: "Mulai dalam (dtk)", early_access: "Anggota lebih awal (dtk)", end_offer: "Akhiri penawaran",
    create_poll: "Buat polling", question: "Pertanyaan", options: "Pilihan (satu per baris)", close_poll: "Tutup polling", answer: "Tandai terjawab", highlight: "Sorot",
    start_giveaway: "Mulai giveaway", draw: "Undi", claims: "Klaim", revenue: "Pendapatan", affiliates: "Penjualan afiliasi", no_sales: "Belum ada penjualan",
    catalog: "Katalog", catalog_empty: "Katalog kosong. Impor produk dengan PUT /v1/catalog/{owner}/products.", running: "Penawaran berjalan",
    sessions: "Sesi", replay: "Tayangan ulang", play: "Putar", pause: "Jeda", export: "Ekspor", viewers_chart: "Penonton", sales_chart: "Pesanan dibayar", messages_chart: "Pesan obrolan",
    unique_viewers: "Penonton unik", per_minute: "Per menit",
    peak: "Puncak", duration_label: "Durasi", conversion: "Konversi", buyers: "Pembeli", reactions: "Reaksi", no_sessions: "Belum ada sesi.",
    timeline: "Linimasa", minute: "mnt", moderation_log: "Log moderasi", no_actions: "Tidak ada tindakan moderasi.", choose_session: "Pilih sesi untuk melihat angka dan tayangan ulangnya.",
    m_pin: "Sematan", m_offer: "Penawaran", m_poll: "Polling", m_giveaway: "Giveaway", m_spike: "Lonjakan", m_auction: "Lelang",
    role_host: "Host", role_moderator: "Mod", role_brand: "Brand", role_affiliate: "Mitra",
    badge_first_purchase: "Pembelian pertama", badge_top_supporter: "Pendukung utama", badge_regular: "Pelanggan setia",
    rules: "Aturan komunitas", accept_rules: "Saya setuju dengan aturannya", rules_accepted: "Terima kasih — sekarang kamu bisa mengobrol", read_rules: "Baca aturannya",
    held: "Menunggu ditinjau", rejected_note: "Dihapus oleh moderator", blocked_note: "Tidak terkirim", report: "Laporkan", reported: "Dilaporkan — terima kasih, moderator akan memeriksa",
    review_queue: "Antrean tinjauan", queue_empty: "Tidak ada yang perlu ditinjau.", approve: "Setujui", reject: "Tolak", kind_held: "Ditahan", kind_reported: "Dilaporkan",
    shadow_mute: "Bisukan diam-diam", shadow_unmute: "Batalkan", shadow_list: "Dibisukan diam-diam", report_threshold: "Laporan untuk menyembunyikan", shadowed: "dibisukan diam-diam",
    error_generic: "Terjadi kesalahan — coba lagi",
    thinned: "Obrolan ramai: menampilkan sebagian pesan",
  },
};

// Rejection codes as people read them, each saying what to do.
const REASONS = {
  en: {
    sold_out: "Sold out — watch for the next deal", not_enough_stock: "Not enough left: lower the quantity", limit_reached: "You've reached the limit for this offer",
    not_started: "Not started yet — wait for the countdown", ended: "It has ended", members_only: "For members only", banned: "You can't do that here",
    timed_out: "You're timed out for a while", slow_mode: "Slow mode is on — wait a moment", too_long: "That's too long — shorten it", empty: "Write something first",
    forbidden: "You're not allowed to do that", rate_limited: "Slow down a little", unavailable: "Try again in a moment", conflict: "Already done",
    not_eligible: "You're not eligible for this one", key_reused: "Request reused — try again", unauthorized: "Sign in again to do that",
    room_not_live: "The show hasn't started yet", room_ended: "The show has ended", not_found: "It's gone", invalid: "Check the values and try again",
    bad_request: "Something went wrong — reload the page", too_large: "That's too large", disconnected: "Not connected — it will be sent when we reconnect",
    blocked: "Not posted: it breaks the community rules", rules_not_accepted: "Accept the community rules to chat",
  },
  id: {
    sold_out: "Habis — tunggu promo berikutnya", not_enough_stock: "Stok tidak cukup: kurangi jumlahnya", limit_reached: "Kamu sudah mencapai batas untuk penawaran ini",
    not_started: "Belum dimulai — tunggu hitung mundurnya", ended: "Sudah berakhir", members_only: "Khusus anggota", banned: "Kamu tidak bisa melakukan itu di sini",
    timed_out: "Kamu sedang dibisukan sementara", slow_mode: "Mode lambat aktif — tunggu sebentar", too_long: "Terlalu panjang — persingkat", empty: "Tulis sesuatu dulu",
    forbidden: "Kamu tidak diizinkan", rate_limited: "Pelan-pelan sedikit", unavailable: "Coba lagi sebentar", conflict: "Sudah dilakukan",
    not_eligible: "Kamu tidak memenuhi syarat", key_reused: "Permintaan dipakai ulang — coba lagi", unauthorized: "Masuk lagi untuk melakukannya",
    room_not_live: "Siaran belum dimulai", room_ended: "Siaran sudah berakhir", not_found: "Sudah tidak ada", invalid: "Periksa isiannya lalu coba lagi",
    bad_request: "Terjadi kesalahan — muat ulang halaman", too_large: "Terlalu besar", disconnected: "Tidak tersambung — akan dikirim saat tersambung lagi",
    blocked: "Tidak terkirim: melanggar aturan komunitas", rules_not_accepted: "Setujui aturan komunitas untuk mengobrol",
  },
};

// Why automatic moderation or reports held or blocked a message (stable codes, docs/moderation.md).
const WHY = {
  en: { link: "a link", word_list: "a word that isn't allowed here", spam_repeat: "repeated text", caps: "too many capitals", emoji_flood: "too many emoji",
    mention_flood: "too many mentions", phone: "a phone number", spam_flood: "the same text from many people", scam: "a scam pattern", new_user_link: "a link from a new account", toxicity: "hurtful language", reports: "reports from viewers" },
  id: { link: "tautan", word_list: "kata yang tidak diizinkan", spam_repeat: "teks berulang", caps: "terlalu banyak huruf kapital", emoji_flood: "terlalu banyak emoji",
    mention_flood: "terlalu banyak sebutan", phone: "nomor telepon", spam_flood: "teks sama dari banyak orang", scam: "pola penipuan", new_user_link: "tautan dari akun baru", toxicity: "bahasa yang menyakitkan", reports: "laporan penonton" },
};

export const lang = (new URLSearchParams(location.search).get("lang") || navigator.language || "en").startsWith("id") ? "id" : "en";
export const locale = lang === "id" ? "id-ID" : "en-US";
export const t = (key, vars = {}) => (STRINGS[lang][key] ?? STRINGS.en[key] ?? key).replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ""));
// Never the server's English message: a code we don't know reads as the generic, actionable line.
export const reason = (error) => {
  const text = REASONS[lang][error?.code] ?? t("error_generic");
  return error?.reasons?.length ? `${text} (${why(error.reasons)})` : text;
};
/** Reason codes as words: "a link, repeated text". */
export const why = (codes) => (codes ?? []).map((c) => WHY[lang][c] ?? WHY.en[c] ?? c).join(", ");
document.documentElement.lang = lang;
