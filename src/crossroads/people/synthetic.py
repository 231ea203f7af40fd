"""Deterministic synthetic people and households for the demo seed and benchmarks.

Names come from curated per-region tables. Each entry keeps the native-script
form (where the region writes one) and its common Latin transliterations, so the
generated records carry the spelling variation that real case files have.
"""

from __future__ import annotations

import datetime
import itertools
import random
import unicodedata
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = [
    "DOCUMENT_TYPES", "REFERENCE_DATE", "REGIONS", "RELATIONSHIPS", "SyntheticDocument", "SyntheticHousehold",
    "SyntheticPerson", "generate_households", "generate_people", "transliteration_variants",
]

# Ages are computed against a fixed date rather than today so output never drifts.
REFERENCE_DATE = datetime.date(2026, 1, 1)
REGIONS = ("arabic", "persian", "tigrinya", "somali", "spanish", "french", "english")
DOCUMENT_TYPES = (
    "passport", "national_id", "birth_certificate", "travel_document", "residence_permit", "refugee_id",
)
RELATIONSHIPS = ("head", "spouse", "child", "sibling", "parent", "other")


@dataclass(frozen=True, slots=True)
class SyntheticDocument:
    """An identity or status document as it would be recorded on a case."""

    type: str
    number: str
    issuing_country: str


@dataclass(frozen=True, slots=True)
class SyntheticPerson:
    """A generated person, with names as a caseworker would have recorded them."""

    given_name: str
    family_name: str
    aliases: tuple[str, ...]
    sex: str
    date_of_birth: datetime.date
    date_of_birth_estimated: bool
    nationality: str
    languages: tuple[str, ...]
    phone: str | None
    documents: tuple[SyntheticDocument, ...]
    region: str


@dataclass(frozen=True, slots=True)
class SyntheticHousehold:
    """A generated household; relationships run parallel to members, head first."""

    members: tuple[SyntheticPerson, ...]
    relationships: tuple[str, ...]


# Table syntax: entries separated by ";" or newlines, "native=Latin/Latin" or just "Latin/Latin".
# The first Latin spelling is the most common one in documents.
_AR_MALE = """محمد=Mohammed/Muhammad/Mohamed/Mohamad/Mohammad; أحمد=Ahmed/Ahmad; علي=Ali
حسين=Hussein/Hussain/Husayn/Hossein; حسن=Hassan/Hasan; عمر=Omar/Umar; خالد=Khaled/Khalid
يوسف=Youssef/Yusuf/Yousef/Youssif; إبراهيم=Ibrahim/Ebrahim; مصطفى=Mustafa/Moustafa/Mostafa
عبدالله=Abdullah/Abdallah/Abdulla; محمود=Mahmoud/Mahmud/Mahmood; سعيد=Said/Saeed/Saïd; كريم=Karim/Kareem
طارق=Tarek/Tariq/Tarik; سامي=Sami/Samy; فادي=Fadi/Fady; باسل=Bassel/Basil; وليد=Walid/Waleed
ماجد=Majed/Majid; نبيل=Nabil/Nabeel; جمال=Jamal/Gamal; رامي=Rami/Ramy; زياد=Ziad/Ziyad; عماد=Imad/Emad
فراس=Firas/Feras; أنس=Anas; بلال=Bilal/Belal; حمزة=Hamza/Hamzah; صالح=Saleh/Salih
عثمان=Othman/Osman/Uthman; إسماعيل=Ismail/Ismael/Esmail; ياسر=Yasser/Yasir; هشام=Hisham/Hesham
عادل=Adel/Adil; منصور=Mansour/Mansur; جعفر=Jafar/Jaafar; قاسم=Qasim/Kassem/Qassem; رشيد=Rashid/Rachid
سليمان=Suleiman/Sulaiman/Soliman; عبدالرحمن=Abdulrahman/Abdelrahman/Abdul Rahman; مازن=Mazen/Mazin
أيمن=Ayman/Aymen"""
_AR_FEMALE = """فاطمة=Fatima/Fatma/Fatimah; عائشة=Aisha/Aysha/Aicha; مريم=Maryam/Mariam/Meryem
زينب=Zainab/Zaynab/Zeinab; خديجة=Khadija/Khadijah/Khadiga; نور=Nour/Noor/Nur; ليلى=Layla/Leila/Laila
سارة=Sara/Sarah; هبة=Heba/Hiba; رنا=Rana; ريم=Reem/Rim; دينا=Dina; أمل=Amal; هدى=Huda/Hoda; سلمى=Salma
ياسمين=Yasmin/Yasmine/Jasmin; رغد=Raghad; لينا=Lina/Leena; آمنة=Amina/Amna/Aminah; حليمة=Halima/Halimah
سميرة=Samira/Sameera; نادية=Nadia/Nadiya; رحاب=Rehab/Rihab; إيمان=Iman/Eman; أسماء=Asma/Asmaa
سعاد=Souad/Suad; وفاء=Wafaa/Wafa; منى=Mona/Muna; رشا=Rasha; شيماء=Shaimaa/Shayma
جميلة=Jamila/Jamilah/Djamila; نجلاء=Najla/Naglaa; هند=Hind; لمى=Lama; دعاء=Doaa/Duaa; روان=Rawan; ملك=Malak
بشرى=Bushra/Boushra; غادة=Ghada; حنان=Hanan; رقية=Ruqayya/Roqaya/Rokaya; سهى=Suha/Soha"""
_AR_FAMILY = """الأحمد=Al-Ahmad/Alahmad/Al Ahmad; الحسن=Al-Hassan/Alhassan
الخطيب=Al-Khatib/Alkhatib/El Khatib; النجار=Al-Najjar/Najjar/Alnajjar; الحداد=Al-Haddad/Haddad
العلي=Al-Ali/Alali; الشامي=Al-Shami/Alshami/Shami; المصري=Al-Masri/Masri/El Masry
الجبوري=Al-Jubouri/Al-Juburi/Aljubouri; الدليمي=Al-Dulaimi/Aldulaimi/Al-Dulaymi
التميمي=Al-Tamimi/Altamimi/Tamimi; العبيدي=Al-Obaidi/Al-Ubaidi/Alobaidi
الزبيدي=Al-Zubaidi/Alzubaidi/Zubaidi; الكردي=Al-Kurdi/Kurdi/Alkurdi; الحلبي=Al-Halabi/Halabi
الحمصي=Al-Homsi/Homsi; حمدان=Hamdan; خليل=Khalil/Khaleel; درويش=Darwish/Darweesh; عيسى=Issa/Eissa
موسى=Moussa/Musa/Mousa; قاسم=Qasim/Kassem; إدريس=Idris/Idriss/Edris; بشير=Bashir/Basheer; عوض=Awad
عبدالقادر=Abdelkader/Abdulkadir/Abdel Qader; الحسيني=Al-Husseini/Husseini; ناصر=Nasser/Naser
شريف=Sharif/Cherif/Shareef; منصور=Mansour/Mansur; سليمان=Suleiman/Sulaiman; عثمان=Othman/Osman
يوسف=Youssef/Yousef; إبراهيم=Ibrahim; الشمري=Al-Shammari/Alshammari/Shammari
العنزي=Al-Anazi/Al-Enezi/Alanzi; الأسعد=Al-Asaad/Alasaad; الصالح=Al-Saleh/Alsaleh
عبدالله=Abdullah/Abdallah; الرفاعي=Al-Rifai/Alrifai/Rifai; البيطار=Al-Bitar/Bitar; قباني=Kabbani/Qabbani
العمر=Al-Omar/Alomar; الحمد=Al-Hamad/Alhamad"""
_FA_MALE = """محمد=Mohammad/Mohammed/Muhammad; علی=Ali; حسین=Hossein/Hussain/Hussein/Hosein
حسن=Hassan/Hasan; رضا=Reza/Raza; مهدی=Mehdi/Mahdi; احمد=Ahmad/Ahmed; محمود=Mahmoud/Mahmood/Mahmud
امیر=Amir/Ameer; عباس=Abbas; جواد=Javad/Jawad; سعید=Saeed/Said/Saied; حمید=Hamid/Hameed; مجید=Majid/Majeed
نوید=Navid/Naveed; فرهاد=Farhad; بهروز=Behrouz/Behruz; داوود=Davood/Dawood/Dawud/Davoud
یوسف=Yousef/Yusuf/Yosef; ابراهیم=Ebrahim/Ibrahim; اسماعیل=Esmail/Ismail; مصطفی=Mostafa/Mustafa
مرتضی=Morteza/Murtaza; کریم=Karim/Kareem; نصیر=Nasir/Naseer; بشیر=Bashir/Basheer; ظاهر=Zaher/Zahir
شریف=Sharif/Shareef; فرید=Farid/Fareed; جمشید=Jamshid/Jamsheed; همایون=Homayoun/Humayun; عزیز=Aziz
رحیم=Rahim/Raheem; سهراب=Sohrab; خالد=Khaled/Khalid; ناصر=Naser/Nasser; قاسم=Ghasem/Qasim/Qasem
یعقوب=Yaqub/Yaghoub/Yakub; نجیب=Najib/Najeeb; شفیق=Shafiq/Shafik; وحید=Vahid/Wahid
عبدالله=Abdullah/Abdollah; میلاد=Milad; آرش=Arash"""
_FA_FEMALE = """فاطمه=Fatemeh/Fatima/Fatemah; زهرا=Zahra/Zahraa; مریم=Maryam/Mariam
زینب=Zeinab/Zainab/Zaynab; معصومه=Masoumeh/Masuma/Masoume; سکینه=Sakineh/Sakina; لیلا=Leila/Layla/Laila
نرگس=Narges/Nargis; شیرین=Shirin/Shireen; پریسا=Parisa; نسرین=Nasrin/Nasreen; مینا=Mina/Meena
سارا=Sara/Sarah; الهام=Elham; مهسا=Mahsa; نازنین=Nazanin; فرشته=Fereshteh/Fereshta; شبنم=Shabnam
مژگان=Mozhgan/Mojgan/Muzhgan; ستاره=Setareh/Setara; ژیلا=Zhila/Jila; گلناز=Golnaz/Gulnaz; رویا=Roya/Ruya
آزاده=Azadeh/Azada; نیلوفر=Niloufar/Nilufar/Nilofar; حمیده=Hamideh/Hamida; فریبا=Fariba; سمیرا=Samira
طاهره=Tahereh/Tahira; عایشه=Aisha/Ayesha; خدیجه=Khadijeh/Khadija; رقیه=Roghayeh/Ruqia/Roqia; شکیلا=Shakila
فرزانه=Farzaneh/Farzana; ملالی=Malalai; لطیفه=Latifeh/Latifa; زرغونه=Zarghuna/Zarghona
پروین=Parvin/Parveen/Parwin; مرسل=Mursal; حسنا=Hosna/Husna"""
_FA_FAMILY = """محمدی=Mohammadi/Mohammedi/Muhammadi; احمدی=Ahmadi/Ahmady; حسینی=Hosseini/Husseini/Hussaini
رضایی=Rezaei/Rezaee/Rezai; کریمی=Karimi/Kareemi; رحیمی=Rahimi/Raheemi; جعفری=Jafari/Jaafari/Jafary
موسوی=Mousavi/Musavi/Moosavi; هاشمی=Hashemi/Hashimi; صادقی=Sadeghi/Sadiqi/Sadeqi
قاسمی=Ghasemi/Qasemi/Qasimi; نوری=Nouri/Noori/Nuri; حیدری=Heidari/Haidari/Haydari; عزیزی=Azizi; امیری=Amiri
یوسفی=Yousefi/Yusufi; ابراهیمی=Ebrahimi/Ibrahimi; نظری=Nazari; اکبری=Akbari; سلطانی=Soltani/Sultani
کاظمی=Kazemi/Kazimi; مرادی=Moradi/Muradi; باقری=Bagheri/Baqeri/Baqiri; رحمانی=Rahmani; عباسی=Abbasi
صفری=Safari; نیازی=Niazi/Niyazi; پوپل=Popal; درانی=Durrani/Durani; یوسفزی=Yousafzai/Yusufzai
شینواری=Shinwari; وردک=Wardak; پوپلزی=Popalzai; سادات=Sadat; اکبرزاده=Akbarzadeh; طاهری=Taheri/Tahiri
فرهادی=Farhadi; خان=Khan; نورزی=Noorzai/Nurzai; علیزاده=Alizadeh"""
_TI_MALE = """ተስፋይ=Tesfay/Tesfai/Tesfaye; ተኽለ=Tekle/Tekleh; ሃይለ=Haile/Hayle; ዳዊት=Dawit
ዮሃንስ=Yohannes/Yohanes/Johannes; ሰለሞን=Solomon/Selemon; ዳንኤል=Daniel; ሚካኤል=Michael/Mikael
ገብረመድህን=Gebremedhin/Gebremedhn; ገብረሚካኤል=Gebremichael/Gebremikael; ተወልደ=Tewelde/Tewolde
ብርሃነ=Berhane/Birhane/Brhane; ኣማኑኤል=Amanuel/Emmanuel; ኣብርሃም=Abraham/Abrham; ኢሳይያስ=Isaias/Isayas/Esayas
ፍስሃ=Fisseha/Fsaha/Fesseha; መሓሪ=Mehari/Mahari; ሙሴ=Musie/Muse; ሩፋኤል=Rufael; ሳሙኤል=Samuel; ሃብቶም=Habtom
ሓጎስ=Hagos; ኪዳነ=Kidane; ኣስመሮም=Asmerom; ዘርኣይ=Zerai/Zeray; ዮናስ=Yonas/Jonas; ናትናኤል=Natnael/Nathnael
ኤርምያስ=Ermias/Eremias; ፊልሞን=Filmon/Filimon; ሄኖክ=Henok/Enoch; ቴድሮስ=Tedros/Tewodros; ጎይትኦም=Goitom/Goitum
ምሕረተኣብ=Mihretab/Mehretab; ሰመረ=Semere/Semre; ኣፈወርቂ=Afwerki/Afewerki/Afeworki; ወልዱ=Weldu/Woldu; ገብሩ=Gebru
ኣርኣያ=Araya/Araia; በረኸት=Bereket; ኤፍሬም=Efrem/Ephrem; ዮሴፍ=Yosef/Joseph/Yoseph; ተስፋልደት=Tesfaldet
ተስፋጽዮን=Tesfatsion/Tesfazion; ንጉሰ=Negusse/Nguse/Negusie; ሃይለማርያም=Hailemariam/Haile Mariam; ገረዝጊሄር=Gerezgiher
ዓወት=Awet; ሰናይ=Senai/Senay; ኣሮን=Aron/Aaron"""
_TI_FEMALE = """ሳባ=Saba; ሉዋም=Luwam/Lwam; ሰላም=Selam/Salam; ፍዮሪ=Fiori/Fyori; ሄለን=Helen/Hellen; ሩት=Ruth/Rut
ኤልሳ=Elsa; ሊድያ=Lidia/Lydia; ሜሮን=Meron; ብርኽቲ=Brikti/Birikti/Berikti; ለተብርሃን=Letebrhan/Letebirhan; ኣዜብ=Azeb
ጽጌ=Tsige; ጸጋ=Tsega; ትዕግስቲ=Tigisti/Tegisti; ሰናይት=Senait/Senayt; ሃና=Hana/Hanna; ማርታ=Marta/Martha
ማርያም=Mariam/Maryam; ፍረወይኒ=Freweini/Frewoini; ሳሮን=Saron/Sharon; ቤተልሄም=Betelhem/Bethlehem; ኪዳን=Kidan
ምሕረት=Mihret/Mehret; ሰምሃር=Semhar; ኣርሴማ=Arsema; ዮርዳኖስ=Yordanos/Jordanos; ኣልማዝ=Almaz; ዘውዲ=Zewdi; ለምለም=Lemlem
ትርሓስ=Tirhas/Terhas; ኣበባ=Abeba; ሳምራዊት=Samrawit/Samrawet; ናርዶስ=Nardos; ሓዳስ=Hadas; ኤደን=Eden
ቅድስቲ=Kidisti/Qidisti; ሰላማዊት=Selamawit; ሙሉ=Mulu; ኣስቴር=Aster/Ester; ዳናይት=Danait"""
# Somali has no separate script: the anglicised spelling comes first, the official orthography (x, c, q) next.
_SO_MALE = """Mohamed/Maxamed/Mohammed/Muhammad; Abdi/Cabdi; Hassan/Xasan/Hasan; Hussein/Xuseen/Husein
Ahmed/Axmed/Ahmad; Ali/Cali; Omar/Cumar; Abdullahi/Cabdullaahi/Abdulahi
Abdirahman/Cabdiraxmaan/Abdirahmaan; Abdikadir/Cabdiqaadir; Yusuf/Yuusuf; Ibrahim/Ibraahim
Ismail/Ismaaciil; Osman/Cismaan; Farah/Faarax; Jama/Jaamac; Warsame/Warsameh; Abdiaziz/Cabdicasiis
Mohamud/Maxamuud/Mahmoud; Hamza/Xamse; Bashir/Bashiir; Said/Siciid/Saeed; Adan/Aadan/Aden; Nur/Nuur/Noor
Yasin/Yaasiin; Salah/Salaax; Musa/Muuse; Idris/Idiris; Guled/Guuleed; Ayanle/Ayaanle; Liban/Liibaan
Khalid/Khaalid; Mustafa/Mustafe; Awale/Cawaale; Dahir/Daahir; Aweys/Cuweys/Awais; Abdiwali/Cabdiwali
Hirsi/Xirsi; Elmi/Cilmi; Duale/Ducaale/Dualeh; Egal/Cigaal; Abdinasir/Cabdinaasir; Abdirashid/Cabdirashiid
Mahad; Samatar"""
_SO_FEMALE = """Fadumo/Faadumo/Fatuma; Amina/Aamina; Hodan; Halima/Xaliimo/Halimo; Sahra/Sahro/Zahra
Asha/Caasha/Aisha; Khadija/Khadiijo/Hadija; Maryan/Maryam; Hawa/Xaawo/Hawo; Ubah/Ubax; Nasra/Nasro
Ifrah/Ifrax; Ayan/Ayaan; Hamdi/Xamdi; Sagal; Filsan; Ikran/Ikraan; Nimco/Nimo; Saida/Saciida; Ladan
Zamzam/Samsam; Deeqa/Deqa/Deka; Hibo; Naima/Nacima; Suad/Sucaad; Kowsar/Kawsar; Muna; Leyla/Layla/Leila
Shukri; Anab/Canab; Ilhan/Ilhaan; Hinda/Hindo; Rahma/Raxma; Safiya/Safiyo; Idil; Istahil/Istaahil; Ebyan
Yasmin/Yasmiin; Farhiya/Farxiyo; Sadia/Sacdiyo; Hafsa/Xafsa; Qamar/Kamar"""
_ES_MALE = """José; Juan; Luis; Carlos; Jorge; Miguel; Pedro; Andrés; Jesús; Manuel; Francisco; Alejandro
Daniel; David; Diego; Fernando; Javier; Ricardo; Roberto; Eduardo; Óscar; Víctor; Rafael; Raúl; Sergio
Julio; César; Héctor; Ángel; Iván; Mauricio; Nelson; Wilmer; Yeison/Jeison; Brayan/Brian; Santiago
Sebastián; Mateo; Gabriel; Ignacio; Antonio; Juan Carlos; José Luis; Luis Fernando; Carlos Andrés
Juan Pablo"""
_ES_FEMALE = """María; Ana; Carmen; Rosa; Luz; Gloria; Sofía; Valentina; Camila; Daniela; Isabella
Gabriela; Andrea; Carolina; Paola; Natalia; Yolanda; Marta/Martha; Marisol; Yesenia; Génesis; Dayana/Diana
Yuleisy/Yuleisi; Milagros; Mariana; Lucía; Verónica; Patricia; Adriana; Mónica; Elena; Beatriz; Guadalupe
Dolores; Fernanda; Rosario; Inés; María José; Ana María; María Fernanda; Luz Marina; María Alejandra"""
_ES_FAMILY = """García; Rodríguez; González; Hernández; López; Martínez; Pérez; Sánchez; Ramírez; Torres
Flores; Rivera; Gómez; Díaz; Reyes; Morales; Cruz; Ortiz; Gutiérrez; Chávez; Ramos; Vargas; Castillo
Jiménez; Moreno; Romero; Herrera; Medina; Aguilar; Mendoza; Muñoz; Peña; Rojas; Álvarez; Castro; Suárez
Méndez; Guzmán; Salazar; Contreras; Núñez; Ríos; Cardona; Zambrano; Quintero"""
_FR_SAHEL_MALE = """Mamadou/Mamadu/Mamoudou; Ibrahima/Ibrahim; Moussa/Musa; Ousmane/Ousman/Usman
Abdoulaye/Abdulai/Abdoulay; Cheikh/Cheick/Sheikh; Modou/Moudou; Amadou/Ahmadou/Amadu
Souleymane/Soulemane/Suleiman; Boubacar/Aboubacar/Bubacarr; Seydou/Seidou; Lamine/Alamine; Alioune/Aliou
Babacar; Issa; Bakary/Bakari; Oumar/Omar; Saliou/Saliu; Demba; Mouhamed/Mohamed/Muhammad; Ismaïla/Ismail
Adama; Youssouf/Yusuf; Sékou; Mahamadou; Idrissa; Djibril/Jibril; Abdou; Pape; Malick/Malik"""
_FR_SAHEL_FEMALE = """Fatou/Fatu; Aminata/Aminatou; Awa; Mariama; Aïssatou/Aysatu; Kadiatou/Kadidiatou
Ndèye; Coumba/Kumba; Khady/Khadi; Binta; Rokhaya/Rokia; Oumou/Umu; Fanta; Djénéba/Jeneba; Mariam; Astou
Dieynaba; Safiatou; Ramatoulaye; Sokhna; Maïmouna/Maimuna; Hawa; Nafissatou; Salimata; Assétou; Bintou
Aïda; Fatoumata/Fatimata; Penda; Seynabou/Zeynabou"""
_FR_SAHEL_FAMILY = """Diallo/Jalloh/Jallow; N'Diaye/Ndiaye; Diop; Sow; Bâ/Bah; Fall; Sy; Sall; Gueye; Faye
Cissé/Sissé; Traoré; Coulibaly/Kulibali; Keïta; Konaté; Diarra; Touré; Camara/Kamara; Sidibé; Sangaré
Diakité; Doumbia; Dembélé; Sissoko; Barry; Mbaye/M'Baye; Seck; Kane; Niang; Thiam; Diouf; Samb; Sarr; Ndour"""
_FR_MALE = """Jean; Pierre; François; Emmanuel; Joseph; Patrick; Serge; Didier; Olivier; Christian
Jean-Baptiste; Jean-Claude; Yves; Hervé; Thierry; Éric; Fabrice; Guy; Michel; André; Jacques; Paul; Blaise
Arsène; Landry; Stéphane; Frédéric; Rodrigue; Dieudonné; Ghislain"""
_FR_FEMALE = """Marie; Hélène; Françoise; Josiane; Chantal; Nadège; Béatrice; Clarisse; Esther; Grâce
Solange; Émilie; Christelle; Sandrine; Mireille; Véronique; Aline; Brigitte; Élodie; Céline; Marie-Claire
Jeanne; Odette; Bernadette; Viviane; Nathalie; Prisca; Rachelle; Gisèle; Lydie"""
_FR_CENTRAL_FAMILY = """Kouassi; Kouamé; Koffi; Yao; Konan; N'Guessan/Nguessan; Kouadio; Ouattara/Watara
Bamba; Koné; Tshibanda; Mukendi; Kabongo; Ilunga; Mbuyi; Lukusa; Kasongo; Mutombo; Nsimba; Fotso; Nguema
Mballa; Ngono; Kamga; Etoundi; Atangana; Essomba; Mbarga; Onana; Ekambi"""
_FR_HAITI_FAMILY = """Jean-Louis; Pierre-Louis; Saint-Fleur; Désir; Étienne; Lefèvre/Lefebvre; Augustin
Fils-Aimé; Joseph; Charles; Baptiste; Louis; Jean; Pierre; Michel; Dorvil; Alexis; Célestin; Dorméus
Jean-Baptiste; Toussaint; Saint-Louis; Noël; Laguerre; Bien-Aimé; Jean-Pierre; Métellus; Estimé; Paul
Georges"""
_EN_MALE = """Emmanuel; Samuel; Daniel; Joseph; David; John; Michael; Peter; Godwin; Stephen/Steven; Paul
James; Isaac; Moses; Benjamin; Richard; Christopher; Victor; Kelvin; Prince; Godfrey; Felix; Francis
Solomon; Ebenezer; Augustine; Patrick; Collins; Justice; Princewill; Charles; Anthony"""
_EN_FEMALE = """Blessing; Precious; Grace; Joy; Patience; Comfort; Mercy; Favour/Favor; Esther; Mary
Elizabeth/Elisabeth; Victoria; Deborah/Debora; Ruth; Rebecca/Rebekah; Faith; Gloria; Gift; Peace
Christiana/Christianah; Abigail; Hannah/Hanna; Sarah/Sara; Janet; Juliet; Patricia; Priscilla
Vivian/Vivien; Florence; Rita; Dorcas; Cynthia"""
_EN_NIGERIA_FAMILY = """Okafor; Okonkwo; Adeyemi; Adebayo; Ogunleye; Eze; Nwosu; Okeke; Obi; Chukwu
Nwachukwu; Bello; Abubakar; Olawale; Oladipo; Adewale; Akinola; Balogun; Afolabi; Ogbonna; Anyanwu; Igwe
Okoro; Ojo; Ayodele; Babatunde; Adeleke; Edet; Bassey; Effiong; Lawal; Danjuma"""
_EN_COAST_FAMILY = """Mensah; Owusu; Boateng; Asante; Osei; Agyeman; Appiah; Darko; Ofori; Amoah; Addo
Quaye; Tetteh; Annan; Acheampong; Kamara/Camara; Koroma; Sesay/Sessay; Conteh/Konteh; Bangura; Kargbo
Turay/Turray; Jalloh/Jallow/Diallo; Mansaray; Kanu; Doe; Johnson; Kollie; Flomo; Cooper; Freeman"""
_NICKNAMES = {
    "arabic": "Mohammed=Hamoudi/Hamada; Mahmoud=Hamoudi; Ahmed=Hamada; Abdullah=Abboud; Ibrahim=Barhoum; "
    "Abdulrahman=Abdo; Youssef=Jo; Fatima=Fatoum; Khadija=Khadouj",
    "persian": "Mohammad=Mamad; Fatemeh=Fati; Zahra=Zari; Maryam=Mari; Masoumeh=Masi",
    "tigrinya": "Abraham=Abrish; Daniel=Dani; Amanuel=Ami; Tedros=Teddy; Samuel=Sami; Betelhem=Betty; "
    "Yordanos=Yordi",
    "spanish": "José=Pepe; Francisco=Paco/Pancho; Guadalupe=Lupe; Jesús=Chucho; Manuel=Manolo; Dolores=Lola; "
    "Ignacio=Nacho; Alejandro=Álex; Roberto=Beto; Eduardo=Lalo; Rosario=Charo; Antonio=Toño; Daniela=Dani; "
    "Gabriela=Gaby; Valentina=Vale; Fernanda=Fer",
    "french": "Mamadou=Madou; Abdoulaye=Laye; Ibrahima=Ibou; Babacar=Baba; Aminata=Ami; Emmanuel=Manu",
    "english": "Emmanuel=Emma; Samuel=Sammy; Daniel=Danny; Joseph=Joe; Michael=Mike; Christopher=Chris; "
    "Benjamin=Ben; Elizabeth=Liz/Betty; Victoria=Vicky; Patricia=Pat; Abigail=Abby; Deborah=Debbie",
}
# Somali nicknames are descriptive epithets that follow the given name ("Maxamed Dheere").
_SOMALI_EPITHETS = ("Dheere", "Yare", "Gaab", "Cadde", "Madoobe", "Dhuub")

# code, calling code, mobile prefixes, remaining digits, national id length, transit/host countries
_COUNTRY_DATA = """SYR 963 93,94,95,96,98,99 7 11 TUR,LBN,JOR; IRQ 964 770,771,750,751,780,790 7 12 TUR,JOR
PSE 970 59,56 7 9 JOR,LBN,EGY; YEM 967 71,73,77,70 7 10 DJI,EGY; EGY 20 10,11,12,15 8 14 LBY,ITA
LBY 218 91,92,94 7 12 TUN,ITA; SDN 249 91,92,99,90,12,11 7 11 EGY,TCD,LBY
AFG 93 70,72,73,77,78,79 7 10 IRN,PAK,TUR; IRN 98 912,935,936,901,919,937 7 10 TUR
ERI 291 7 6 8 ETH,SDN,UGA; ETH 251 91,92,93,94 7 12 KEN,SDN; SOM 252 61,62,63,65,68,90 7 9 KEN,ETH,UGA
KEN 254 70,71,72,79,11 7 8 UGA,ETH; VEN 58 412,414,416,424,426 7 8 COL,PER,BRA,CHL
COL 57 300,301,310,311,312,313,315,320,321 7 10 ECU,MEX; HND 504 9,3,8 7 13 MEX,GTM; GTM 502 3,4,5 7 13 MEX
SLV 503 7,6 7 9 MEX,GTM; NIC 505 57,58,75,77,78,84,85,86,87,88,89 6 14 CRI,MEX; CUB 53 5 7 11 MEX,GUY
SEN 221 70,76,77,78 7 13 MAR,MRT; MLI 223 6,7 7 13 NER,DZA,MAR; GIN 224 62,65,66 7 9 MAR,SEN
CIV 225 07,05,01 8 11 TUN,MAR; COD 243 81,82,84,85,89,97,99 7 10 UGA,RWA,BDI
CMR 237 67,69,65,68 7 9 NGA,MAR; HTI 509 3,4 7 10 DOM,CHL,BRA
NGA 234 803,806,813,703,805,810,816,903,802,808,812,701 7 11 NER,LBY
GHA 233 24,54,55,20,50,26,27 7 10 LBY,NER; SLE 232 76,77,78,30,33,88 6 9 GIN,LBY; LBR 231 77,88 7 9 GIN,CIV"""


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _entries(table: str) -> tuple[tuple[str | None, tuple[str, ...]], ...]:
    out = []
    for item in table.replace("\n", ";").split(";"):
        item = item.strip()
        if item:
            native, _, latin = item.rpartition("=")
            forms = latin.split("/")
            # Registration systems often drop diacritics, so the bare spelling is a variant too.
            variants = tuple(dict.fromkeys(forms + [_strip_accents(f) for f in forms]))
            out.append((native or None, variants))
    return tuple(out)


def _weighted(pairs) -> tuple[tuple, list[float]]:
    totals = list(itertools.accumulate(weight for _, weight in pairs))
    cum = [t / totals[-1] for t in totals]
    # Guard against float rounding so random() < 1.0 always lands inside the table.
    cum[-1] = 1.0
    return tuple(item for item, _ in pairs), cum


def _pick(rand, table):
    items, cum = table
    return items[bisect(cum, rand())]


def _nationalities(spec: str):
    """Parse "SYR:45=ar:85,ar+ku:10; IRQ:25=ar:100" into weighted nationalities and languages."""
    nats, langs = [], {}
    for chunk in spec.split(";"):
        head, _, lang_spec = chunk.strip().partition("=")
        code, _, weight = head.partition(":")
        nats.append((code, float(weight)))
        options = (option.partition(":") for option in lang_spec.split(","))
        langs[code] = _weighted([(tuple(codes.split("+")), float(w)) for codes, _, w in options])
    return _weighted(nats), langs


class _Pool:
    """One naming culture: name tables, nationalities and how family names pass on."""

    __slots__ = (
        "region", "male", "female", "family", "nationalities", "languages", "patronymic",
        "family_parts", "native_share", "full_share", "spouse_takes_name", "nicknames", "epithets",
    )

    def __init__(self, region, male, female, family, nationalities, *, patronymic=False, family_parts=1,
                 native_share=0.0, full_share=0.0, spouse_takes_name=False, epithets=()):
        self.region, self.male, self.female, self.patronymic = region, male, female, patronymic
        # Patronymic cultures have no inherited surname: the "family name" is the father's given name,
        # optionally followed by the grandfather's.
        self.family = male if patronymic else family
        self.family_parts = 2 if patronymic else family_parts
        self.nationalities, self.languages = _nationalities(nationalities)
        self.native_share, self.full_share = native_share, full_share
        self.spouse_takes_name, self.epithets = spouse_takes_name, epithets
        pairs = (p.strip().partition("=") for p in _NICKNAMES.get(region, "").split(";") if p)
        self.nicknames = {name: tuple(nicks.split("/")) for name, _, nicks in pairs}


_AR_M, _AR_F = _entries(_AR_MALE), _entries(_AR_FEMALE)
_FR_SAHEL_M, _FR_SAHEL_F = _entries(_FR_SAHEL_MALE), _entries(_FR_SAHEL_FEMALE)
_FR_M, _FR_F = _entries(_FR_MALE), _entries(_FR_FEMALE)
_EN_M, _EN_F = _entries(_EN_MALE), _entries(_EN_FEMALE)
_TI_M, _SO_M = _entries(_TI_MALE), _entries(_SO_MALE)

_POOLS = _weighted([
    (_Pool("arabic", _AR_M, _AR_F, _entries(_AR_FAMILY),
           "SYR:45=ar:85,ar+ku:10,ar+en:5; IRQ:25=ar:75,ar+ku:20,ar+en:5; PSE:10=ar:90,ar+en:10; "
           "YEM:8=ar:100; EGY:6=ar:90,ar+en:10; LBY:6=ar:95,ar+en:5",
           native_share=0.6), 0.18),
    # Sudanese names are patronymic chains ("Mohamed Ahmed Ali") rather than inherited family names.
    (_Pool("arabic", _AR_M, _AR_F, None, "SDN:100=ar:85,ar+en:15",
           patronymic=True, native_share=0.6, full_share=0.5), 0.07),
    (_Pool("persian", _entries(_FA_MALE), _entries(_FA_FEMALE), _entries(_FA_FAMILY),
           "AFG:65=fa:45,ps:20,fa+ps:30,fa+en:5; IRN:35=fa:80,fa+az:10,fa+ku:10",
           native_share=0.6), 0.15),
    (_Pool("tigrinya", _TI_M, _entries(_TI_FEMALE), None,
           "ERI:75=ti:60,ti+ar:10,ti+am:15,ti+en:15; ETH:25=ti+am:70,ti:30",
           patronymic=True, native_share=0.5, full_share=0.3), 0.12),
    (_Pool("somali", _SO_M, _entries(_SO_FEMALE), None,
           "SOM:85=so:75,so+ar:15,so+en:10; ETH:10=so:70,so+am:30; KEN:5=so+sw:70,so+en:30",
           patronymic=True, full_share=0.5, epithets=_SOMALI_EPITHETS), 0.12),
    (_Pool("spanish", _entries(_ES_MALE), _entries(_ES_FEMALE), _entries(_ES_FAMILY),
           "VEN:45=es:95,es+en:5; COL:22=es:95,es+en:5; HND:12=es:100; GTM:8=es:80,es+quc:20; "
           "SLV:6=es:100; NIC:4=es:100; CUB:3=es:100",
           family_parts=2, full_share=0.55), 0.15),
    (_Pool("french", _FR_SAHEL_M, _FR_SAHEL_F, _entries(_FR_SAHEL_FAMILY),
           "SEN:45=fr+wo:80,wo:10,fr:10; MLI:35=fr+bm:80,bm:15,fr:5; GIN:20=fr+ff:60,fr+sus:25,fr:15"),
     0.055),
    (_Pool("french", _FR_M, _FR_F, _entries(_FR_CENTRAL_FAMILY),
           "CIV:35=fr:70,fr+dyu:30; COD:35=fr+ln:60,fr+sw:30,fr:10; CMR:30=fr:60,fr+en:40",
           spouse_takes_name=True), 0.0385),
    (_Pool("french", _FR_M, _FR_F, _entries(_FR_HAITI_FAMILY), "HTI:100=ht+fr:85,ht:15",
           spouse_takes_name=True), 0.0165),
    (_Pool("english", _EN_M, _EN_F, _entries(_EN_NIGERIA_FAMILY),
           "NGA:100=en:30,en+yo:25,en+ig:25,en+ha:15,en+pcm:5", spouse_takes_name=True), 0.055),
    (_Pool("english", _EN_M, _EN_F, _entries(_EN_COAST_FAMILY),
           "GHA:45=en+ak:60,en+ee:20,en:20; SLE:35=en+kri:85,en:15; LBR:20=en:100",
           spouse_takes_name=True), 0.045),
])

_COUNTRIES = {
    code: ("+" + cc, tuple(prefixes.split(",")), int(rest), int(id_len), tuple(transit.split(",")))
    for code, cc, prefixes, rest, id_len, transit in (
        row.split() for row in _COUNTRY_DATA.replace("\n", ";").split(";")
    )
}

_REF_ORD = REFERENCE_DATE.toordinal()


def _age_range(lo: int, hi: int) -> tuple[int, int]:
    """Ordinal range of birth dates for people aged lo..hi years on the reference date."""
    first = datetime.date(REFERENCE_DATE.year - hi - 1, 1, 2).toordinal()
    last = min(datetime.date(REFERENCE_DATE.year - lo, 1, 1).toordinal(), _REF_ORD - 1)
    return first, last


_AGE_BUCKETS = _weighted([
    (_age_range(lo, hi), w)
    for lo, hi, w in ((0, 4, 8), (5, 11, 10), (12, 17, 8), (18, 24, 17), (25, 29, 15), (30, 34, 12),
                      (35, 39, 9), (40, 49, 10), (50, 59, 6), (60, 75, 5))
])
_AGE_ORDS = [_age_range(age, age) for age in range(100)]
_CHILD_COUNTS = _weighted([(0, 15), (1, 20), (2, 22), (3, 18), (4, 12), (5, 8), (6, 5)])
_ADULT_DOCS = _weighted([("passport", 35), ("national_id", 25), ("refugee_id", 15), ("residence_permit", 10),
                         ("travel_document", 8), ("birth_certificate", 7)])
_CHILD_DOCS = _weighted([("birth_certificate", 45), ("passport", 25), ("refugee_id", 15),
                         ("residence_permit", 8), ("travel_document", 4), ("national_id", 3)])
_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def _build_indexes() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """Map each Latin spelling to its whole variant group, and each native form to its spellings."""
    groups: dict[str, list[str]] = {}
    natives: dict[str, tuple[str, ...]] = {}
    for pool in _POOLS[0]:
        for native, forms in pool.male + pool.female + pool.family:
            if native:
                natives.setdefault(native, forms)
            merged = list(forms)
            # Merge groups that share a spelling: "Mohamed" links the Arabic, Somali and Sahel tables.
            for form in forms:
                merged += [other for other in groups.get(form.casefold(), ()) if other not in merged]
            for form in merged:
                groups[form.casefold()] = merged
    return {key: tuple(forms) for key, forms in groups.items()}, natives


_VARIANTS, _NATIVE_TO_LATIN = _build_indexes()


def _spell(rng: random.Random, entry, memo: dict | None) -> str:
    if memo is not None and entry in memo:
        return memo[entry]
    forms = entry[1]
    spelling = forms[0] if len(forms) == 1 or rng.random() < 0.6 else rng.choice(forms)
    if memo is not None:
        memo[entry] = spelling
    return spelling


def _family(rng: random.Random, pool: _Pool, given=None) -> tuple:
    first = rng.choice(pool.family)
    # In patronymic tables the father's name is drawn from the given names; "Ermias Ermias" reads wrong.
    while first is given:
        first = rng.choice(pool.family)
    if pool.family_parts == 1:
        return (first,)
    second = rng.choice(pool.family)
    while second is first:
        second = rng.choice(pool.family)
    return first, second


def _document(rng: random.Random, kind: str, nat: str, country, dob: datetime.date) -> SyntheticDocument:
    rand, transit = rng.random, country[4]
    if kind == "passport":
        digits = 7 if rand() < 0.5 else 8
        return SyntheticDocument(kind, f"{rng.choice(_LETTERS)}{rng.randrange(10 ** digits):0{digits}d}", nat)
    if kind == "national_id":
        length = country[3]
        return SyntheticDocument(kind, str(rng.randrange(10 ** (length - 1), 10 ** length)), nat)
    if kind == "birth_certificate":
        issuer = nat if rand() < 0.85 else transit[0]
        return SyntheticDocument(kind, f"{dob.year}/{rng.randrange(100000):05d}", issuer)
    if kind == "travel_document":
        number = f"{rng.choice(_LETTERS)}{rng.choice(_LETTERS)}{rng.randrange(10 ** 7):07d}"
    elif kind == "residence_permit":
        number = f"{rng.choice(_LETTERS)}{rng.randrange(10 ** 8):08d}"
    else:
        # Shaped like a UNHCR individual number: office, registration year, case letter, sequence.
        year = rng.randint(max(12, dob.year - 2000), 25)
        number = f"{rng.randrange(100, 1000)}-{year:02d}C{rng.randrange(100000):05d}"
    return SyntheticDocument(kind, number, rng.choice(transit))


def _person(rng: random.Random, pool: _Pool, nat: str, sex: str, given, family, dob_ord: int, native: bool,
            memo: dict | None = None, extra_alias: str | None = None) -> SyntheticPerson:
    rand = rng.random
    dob = datetime.date.fromordinal(dob_ord)
    age = REFERENCE_DATE.year - 1 - dob.year + (dob.month == 1 and dob.day == 1)
    estimated = rand() < 0.25
    if estimated:
        month = 1 if rand() < 0.7 else 7
        # Rounding back to 1 January must not push someone past the 75-year cap.
        if month == 1 and REFERENCE_DATE.year - dob.year > 75 >= age:
            month = 7
        dob = datetime.date(dob.year, month, 1)

    shown = family if len(family) == 1 or rand() < pool.full_share else family[:1]
    parts = (given, *shown)
    latin = [_spell(rng, entry, memo) for entry in parts]
    aliases = []
    if native:
        given_name, family_name = given[0], " ".join(entry[0] for entry in shown)
        aliases.append(" ".join(latin))
    else:
        given_name, family_name = latin[0], " ".join(latin[1:])
        if given[0] is not None and rand() < 0.8:
            aliases.append(" ".join(entry[0] for entry in parts))
    if rand() < 0.6:
        aliases.append(" ".join(rng.choice(entry[1]) for entry in parts))
    if len(shown) > 1:
        aliases.append(f"{latin[0]} {latin[1]}")
    if rand() < 0.25:
        aliases.append(" ".join(latin[1:]) + " " + latin[0])
    nicknames = pool.nicknames.get(given[1][0])
    if nicknames is not None and rand() < 0.35:
        aliases.append(f"{rng.choice(nicknames)} {latin[1]}")
    elif pool.epithets and rand() < 0.15:
        aliases.append(f"{latin[0]} {rng.choice(pool.epithets)}")
    if extra_alias:
        aliases.append(extra_alias)
    full_name = f"{given_name} {family_name}"

    country = _COUNTRIES[nat]
    phone = None
    # Tuned so that about 60% of a generated population has a phone, almost none of them young children.
    if rand() < (0.74 if age >= 14 else 0.05):
        rest = country[2]
        phone = f"{country[0]}{rng.choice(country[1])}{rng.randrange(10 ** rest):0{rest}d}"
    roll = rand()
    documents: tuple[SyntheticDocument, ...] = ()
    if roll >= 0.3:
        table = _ADULT_DOCS if age >= 18 else _CHILD_DOCS
        first = _pick(rand, table)
        documents = (_document(rng, first, nat, country, dob),)
        if roll >= 0.8:
            second = _pick(rand, table)
            while second == first:
                second = _pick(rand, table)
            documents += (_document(rng, second, nat, country, dob),)
    return SyntheticPerson(
        given_name=given_name, family_name=family_name,
        aliases=tuple(a for a in dict.fromkeys(aliases) if a != full_name),
        sex=sex, date_of_birth=dob, date_of_birth_estimated=estimated,
        nationality=nat, languages=_pick(rand, pool.languages[nat]), phone=phone, documents=documents,
        region=pool.region,
    )


def generate_people(n: int, *, seed: int = 0) -> Iterator[SyntheticPerson]:
    """Yield n independent synthetic people, identical for identical seeds."""
    rng = random.Random(seed)
    rand, randint, choice = rng.random, rng.randint, rng.choice
    for _ in range(n):
        pool = _pick(rand, _POOLS)
        sex = "female" if rand() < 0.47 else "male"
        given = choice(pool.female if sex == "female" else pool.male)
        dob_ord = randint(*_pick(rand, _AGE_BUCKETS))
        yield _person(rng, pool, _pick(rand, pool.nationalities), sex, given, _family(rng, pool, given), dob_ord,
                      rand() < pool.native_share)


def _household(rng: random.Random) -> SyntheticHousehold:
    rand, randint, choice = rng.random, rng.randint, rng.choice
    pool = _pick(rand, _POOLS)

    def given_for(sex: str, avoid=None):
        given = choice(pool.female if sex == "female" else pool.male)
        while given is avoid:
            given = choice(pool.female if sex == "female" else pool.male)
        return given

    def other_sex() -> str:
        return "female" if rand() < 0.5 else "male"

    head_sex = "female" if rand() < 0.25 else "male"
    head_age = int(rng.triangular(19, 66, 33))
    head_given = given_for(head_sex)
    family = _family(rng, pool, head_given)
    head = ("head", head_sex, head_given, family, head_age)
    specs = [head]
    spouse = None
    if rand() < (0.8 if head_sex == "male" else 0.1):
        sex = "female" if head_sex == "male" else "male"
        age = max(18, head_age - randint(0, 9)) if sex == "female" else head_age + randint(0, 8)
        takes_name = pool.spouse_takes_name and sex == "female" and rand() < 0.7
        given = given_for(sex)
        spouse = ("spouse", sex, given, family if takes_name else _family(rng, pool, given), age)
        specs.append(spouse)

    father, mother = (head, spouse) if head_sex == "male" else (spouse, head)
    if father:
        father_given, father_family = father[2], father[3]
    else:
        father_given = given_for("male")
        father_family = _family(rng, pool, father_given)
    if pool.patronymic:
        child_family = (father_given, father_family[0])
    elif pool.family_parts == 2:
        # Spanish naming: father's first surname, then mother's first surname.
        child_family = (father_family[0], (mother[3] if mother else _family(rng, pool))[0])
    elif father is None and pool.spouse_takes_name:
        child_family = family
    else:
        child_family = father_family
    max_child_age = min(25, min(s[4] for s in specs) - 18)
    count = _pick(rand, _CHILD_COUNTS) if max_child_age >= 0 else 0
    for age in sorted(rng.sample(range(max_child_age + 1), min(count, max_child_age + 1)), reverse=True):
        sex = other_sex()
        specs.append(("child", sex, given_for(sex, child_family[0]), child_family, age))

    if rand() < 0.08:
        sex = other_sex()
        specs.append(("sibling", sex, given_for(sex, family[0]), family, max(0, head_age + randint(-10, 10))))
    if rand() < 0.1 and head_age <= 55:
        sex = other_sex()
        given = given_for(sex)
        parent_family = _family(rng, pool, given)
        if pool.patronymic and sex == "male":
            # The head's "family name" is this man's given name, then his own father's.
            given, parent_family = family[0], (family[1], parent_family[0])
        elif pool.family_parts == 2 and not pool.patronymic:
            parent_family = (family[0] if sex == "male" else family[1], parent_family[0])
        elif sex == "male" or (pool.spouse_takes_name and rand() < 0.7):
            parent_family = family
        specs.append(("parent", sex, given, parent_family, min(85, head_age + randint(18, 35))))
    if rand() < 0.04:
        sex = other_sex()
        given = given_for(sex)
        specs.append(("other", sex, given, _family(rng, pool, given), randint(0, 40)))

    nat = _pick(rand, pool.nationalities)
    native = rand() < pool.native_share
    memo: dict = {}
    # Arabic parents are commonly known by their eldest son's name: Abu Ahmed, Umm Ahmed.
    kunya = None
    if pool.region == "arabic" and father is head:
        sons = [s for s in specs if s[0] == "child" and s[1] == "male"]
        if sons:
            kunya = _spell(rng, sons[0][2], memo)
    members = []
    for relation, sex, given, fam, age in specs:
        extra = None
        if kunya and relation in ("head", "spouse"):
            extra = f"{'Abu' if sex == 'male' else 'Umm'} {kunya}"
        dob_ord = randint(*_AGE_ORDS[age])
        members.append(_person(rng, pool, nat, sex, given, fam, dob_ord, native, memo, extra))
    return SyntheticHousehold(members=tuple(members), relationships=tuple(s[0] for s in specs))


def generate_households(n: int, *, seed: int = 0) -> Iterator[SyntheticHousehold]:
    """Yield n synthetic households (head first), identical for identical seeds."""
    rng = random.Random(seed)
    for _ in range(n):
        yield _household(rng)


def transliteration_variants(name: str) -> list[str]:
    """Return the other known Latin spellings of a name from the curated tables (empty if unknown)."""
    name = " ".join(name.split())
    if name in _NATIVE_TO_LATIN:
        return list(_NATIVE_TO_LATIN[name])
    key = name.casefold()
    if key in _VARIANTS:
        return [form for form in _VARIANTS[key] if form.casefold() != key]
    tokens = [[token, *(f for f in _VARIANTS.get(token.casefold(), ()) if f.casefold() != token.casefold())]
              for token in name.split()]
    if len(tokens) < 2 or all(len(options) == 1 for options in tokens):
        return []
    combos = itertools.islice(itertools.product(*tokens), 1, 50)
    return [" ".join(combo) for combo in combos]
