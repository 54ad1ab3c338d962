//! Diesel table definitions. Platform tables are qualified with `public`; tenant tables are not,
//! so they resolve only through a [`TenantConn`](super::TenantConn)'s pinned `search_path`.

pub mod platform {
    diesel::table! {
        public.tenants (slug) {
            slug -> Text,
            settings -> Jsonb,
            logo -> Bytea,
            logo_content_type -> Text,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
        }
    }
}

pub mod tenant {
    diesel::table! {
        customers (id) {
            id -> Uuid,
            login_id -> Text,
            password_hash -> Text,
            email -> Text,
            locale -> Text,
            name -> Text,
            name_kana -> Text,
            failed_logins -> Int4,
            locked_at -> Nullable<Timestamptz>,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        accounts (account_id) {
            account_id -> Text,
            customer_id -> Uuid,
            branch_code -> Text,
            branch_name -> Text,
            account_type_code -> Text,
            account_type_name -> Text,
            account_number -> Text,
            account_name -> Text,
            account_name_kana -> Text,
            currency_code -> Text,
            balance -> Int8,
            opened_on -> Date,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        transactions (id) {
            id -> Int8,
            account_id -> Text,
            transaction_date -> Date,
            value_date -> Date,
            transaction_type -> Int2,
            amount -> Int8,
            remarks -> Text,
            balance -> Int8,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        audit_log (id) {
            id -> Int8,
            at -> Timestamptz,
            event -> Text,
            actor -> Text,
            subject -> Nullable<Text>,
            ip -> Nullable<Text>,
            detail -> Jsonb,
        }
    }

    diesel::joinable!(accounts -> customers (customer_id));
    diesel::joinable!(transactions -> accounts (account_id));
    diesel::allow_tables_to_appear_in_same_query!(customers, accounts, transactions, audit_log);
}
