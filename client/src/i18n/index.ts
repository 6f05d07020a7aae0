// The one vue-i18n instance (Composition API mode), zh-CN first. Server messages are not here: they
// arrive in both languages with each error.
import { createI18n } from 'vue-i18n'
import zhCN, { type MessageSchema } from './zh-CN'
import en from './en'

export type Locale = 'zh-CN' | 'en'

export const i18n = createI18n<[MessageSchema], Locale, false>({
  legacy: false,
  locale: 'zh-CN',
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
})

export function localeFor(lang: 'zh' | 'en'): Locale {
  return lang === 'en' ? 'en' : 'zh-CN'
}
