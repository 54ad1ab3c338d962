lang-name = 日本語
language = 言語
skip-to-content = 本文へ移動
contact-label = お問い合わせ
copyright-note = 当ページの内容は著作権法により保護されています。
back-to-home = トップページへ戻る

home-title = APIサービス（外部サービス連携）
home-lead = { $bank }のAPIサービスでは、家計簿アプリや会計サービスなどの外部サービスに、お客さまの口座の残高や入出金明細の照会を許可できます。お客さまのIDやパスワードが外部サービスに伝わることはありません。
home-how-title = ご利用の流れ
home-step-1 = ご利用の外部サービスで、当金庫の口座との連携を始めます。
home-step-2 = 当金庫のログイン画面が表示されます。お客様IDとログインパスワード、または電子証明書で認証してください。
home-step-3 = アクセス許可の画面で、外部サービスと許可する内容を確認し、「許可」を押してください。連携の有効期間は{ $days }日間です。
home-step-4 = 有効期間が過ぎると、外部サービスから改めて登録が必要です。期限の前に電子メールでお知らせします。
home-ops-title = 外部サービスに許可できる照会
scope-balance = 残高照会
scope-balance-help = 口座の現在の残高を照会できます。
scope-transactions = 入出金明細照会
scope-transactions-help = 口座の入出金の明細を照会できます。
home-never-password = 外部サービスが振込や出金を行うことはできません。
home-terms-title = 利用規約

platform-lead = 信用金庫のAPIサービス（外部サービス連携）の同意画面です。ご利用の金庫のページからお進みください。

error-not-found-title = ページが見つかりません
error-not-found-message = お探しのページは見つかりませんでした。URLをお確かめください。
error-unavailable-title = ただいま混み合っています
error-unavailable-message = ただいまサービスをご利用いただけません。しばらくしてから、もう一度お試しください。
error-internal-title = エラーが発生しました
error-internal-message = 申し訳ございません。処理中にエラーが発生しました。しばらくしてから、もう一度お試しください。
